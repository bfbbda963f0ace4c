package document

import (
	"context"
	"fmt"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/events"
)

// UpdateInput changes a document's metadata. A nil field stays as it is; an empty Title resets
// the title to the file name. ClearExpiry removes the expiry (and excludes ExpiresAt).
// IfVersion, when not 0, makes the update apply only to that version (optimistic concurrency:
// ErrVersionConflict otherwise).
type UpdateInput struct {
	Title       *string
	ExpiresAt   *time.Time
	ClearExpiry bool
	IfVersion   int64
}

// Update changes a document's title or expiry and recomputes its stored expiry status. It
// publishes DocumentUpdated, and DocumentExpiryChanged as well when the status moved. An update
// that changes nothing writes and publishes nothing.
func (s *Service) Update(ctx context.Context, actorID, workspaceID, id string, in UpdateInput) (Document, error) {
	if err := s.authorize(ctx, workspaceID, actorID, authz.DocumentUpload); err != nil {
		return Document{}, err
	}
	now := s.clock.Now()
	var fields apperr.Fields
	var title string
	if in.Title != nil {
		var msg string
		if title, msg = normalizeTitle(*in.Title); msg != "" {
			fields.Add("title", msg)
		}
	}
	expiresAt, msg := normalizeExpiry(in.ExpiresAt, now)
	switch {
	case in.ClearExpiry && in.ExpiresAt != nil:
		fields.Add("expiresAt", "cannot be set and cleared at once")
	case msg != "":
		fields.Add("expiresAt", msg)
	}
	if in.IfVersion < 0 {
		fields.Add("version", "must be positive")
	}
	if err := fields.Err(); err != nil {
		return Document{}, err
	}

	var before Document
	d, changed, err := s.repo.Update(ctx, workspaceID, id, func(d *Document) (bool, error) {
		before = d.Clone() // the last attempt's load is the one that gets written
		if in.IfVersion != 0 && d.Version != in.IfVersion {
			return false, ErrVersionConflict
		}
		if in.Title != nil {
			d.Title = title
			if d.Title == "" {
				d.Title = d.Name
			}
		}
		switch {
		case in.ClearExpiry:
			d.ExpiresAt = nil
		case expiresAt != nil:
			e := *expiresAt
			d.ExpiresAt = &e
		}
		d.ExpiryStatus = ExpiryStatusAt(d.ExpiresAt, now, s.window)
		if d.Title == before.Title && sameTime(d.ExpiresAt, before.ExpiresAt) && d.ExpiryStatus == before.ExpiryStatus {
			return false, nil
		}
		d.UpdatedAt = now
		return true, nil
	})
	if err != nil {
		return Document{}, fmt.Errorf("update document: %w", err)
	}
	if !changed {
		return d, nil
	}
	s.publish(ctx, events.NewDocumentUpdated(d.ID, d.Title, string(d.ExpiryStatus), d.ExpiresAt), d, actorID, now)
	if d.ExpiryStatus != before.ExpiryStatus {
		s.publish(ctx, events.NewDocumentExpiryChanged(d.ID, string(before.ExpiryStatus), string(d.ExpiryStatus)), d, actorID, now)
	}
	return d, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
