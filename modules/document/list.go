package document

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/page"
)

// MaxSearchLen bounds the text a list searches for.
const MaxSearchLen = 200

// ListInput filters and pages a document list. Limit 0 means page.DefaultLimit.
type ListInput struct {
	ExpiryStatuses []ExpiryStatus // empty: all
	Text           string         // case-insensitive substring of the name or title
	Cursor         string
	Limit          int
}

// List returns a workspace's documents, newest first, one page at a time. The cursor names the
// last document seen (its creation time and id), so pages stay stable while documents are
// added or removed.
func (s *Service) List(ctx context.Context, actorID, workspaceID string, in ListInput) (page.Page[Document], error) {
	if err := s.authorize(ctx, workspaceID, actorID, authz.DocumentRead); err != nil {
		return page.Page[Document]{}, err
	}
	q, err := listQuery(in)
	if err != nil {
		return page.Page[Document]{}, err
	}
	limit := q.Limit
	q.Limit++ // one more tells whether there is a next page
	docs, err := s.repo.List(ctx, workspaceID, q)
	if err != nil {
		return page.Page[Document]{}, fmt.Errorf("list documents: %w", err)
	}
	var out page.Page[Document]
	if len(docs) > limit {
		docs = docs[:limit]
		last := docs[len(docs)-1]
		out.NextCursor = page.EncodeCursor(strconv.FormatInt(last.CreatedAt.UnixMilli(), 10), last.ID)
	}
	out.Items = docs
	if out.Items == nil {
		out.Items = []Document{}
	}
	return out, nil
}

// listQuery validates a list request and turns it into a repository query.
func listQuery(in ListInput) (Query, error) {
	q := Query{Limit: in.Limit, Text: strings.TrimSpace(in.Text)}
	switch {
	case q.Limit == 0:
		q.Limit = page.DefaultLimit
	case q.Limit < 0 || q.Limit > page.MaxLimit:
		return Query{}, page.ErrBadLimit
	}
	var fields apperr.Fields
	if !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > MaxSearchLen {
		fields.Add("q", fmt.Sprintf("must be valid text of at most %d characters", MaxSearchLen))
	}
	seen := map[ExpiryStatus]bool{}
	for _, st := range in.ExpiryStatuses {
		if _, err := ParseExpiryStatus(string(st)); err != nil {
			fields.Add("expiryStatus", "must be one of VALID, EXPIRING_SOON, EXPIRED")
			break
		}
		if !seen[st] {
			seen[st] = true
			q.ExpiryStatuses = append(q.ExpiryStatuses, st)
		}
	}
	if err := fields.Err(); err != nil {
		return Query{}, err
	}
	parts, err := page.DecodeCursor(in.Cursor, 2)
	if err != nil {
		return Query{}, err
	}
	if in.Cursor != "" {
		ms, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil || parts[1] == "" {
			return Query{}, page.ErrBadCursor
		}
		q.After = &Position{CreatedAt: ms, ID: parts[1]}
	}
	return q, nil
}
