package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/modules/document"
)

// Documents is the document.Repository: table documents.
type Documents struct{ db *DB }

var _ document.Repository = (*Documents)(nil)

// NewDocuments returns the document repository on db.
func NewDocuments(db *DB) *Documents { return &Documents{db: db} }

const documentColumns = "id, workspace_id, name, title, size, content_type, sha256, blob_id, uploaded_by, created_at, updated_at, expires_at, expiry_status, version"

func scanDocument(row interface{ Scan(...any) error }) (document.Document, error) {
	var (
		d                document.Document
		created, updated int64
		expires          sql.NullInt64
		status           string
	)
	if err := row.Scan(&d.ID, &d.WorkspaceID, &d.Name, &d.Title, &d.Size, &d.ContentType, &d.SHA256, &d.BlobID, &d.UploadedBy,
		&created, &updated, &expires, &status, &d.Version); err != nil {
		return document.Document{}, err
	}
	d.CreatedAt, d.UpdatedAt, d.ExpiresAt, d.ExpiryStatus = fromMs(created), fromMs(updated), fromMsPtr(expires), document.ExpiryStatus(status)
	return d, nil
}

// Create stores new metadata.
func (r *Documents) Create(ctx context.Context, d document.Document) error {
	_, err := r.db.exec(ctx, r.db.w, "INSERT INTO documents (id, workspace_id, name, name_fold, title, title_fold, size, content_type, sha256, "+
		"blob_id, uploaded_by, created_at, updated_at, expires_at, expiry_status, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, d.WorkspaceID, d.Name, strings.ToLower(d.Name), d.Title, strings.ToLower(d.Title), d.Size, d.ContentType, d.SHA256,
		d.BlobID, d.UploadedBy, ms(d.CreatedAt), ms(d.UpdatedAt), msPtr(d.ExpiresAt), string(d.ExpiryStatus), d.Version)
	if err != nil {
		return storeError("sqlite: insert document: %w", err)
	}
	return nil
}

// Get returns the document of that workspace, or ErrNotFound.
func (r *Documents) Get(ctx context.Context, workspaceID, id string) (document.Document, error) {
	return r.get(ctx, r.db.r, workspaceID, id)
}

func (r *Documents) get(ctx context.Context, q querier, workspaceID, id string) (document.Document, error) {
	d, err := scanDocument(r.db.queryRow(ctx, q, "SELECT "+documentColumns+" FROM documents WHERE id = ? AND workspace_id = ?", id, workspaceID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return document.Document{}, document.ErrNotFound
	case err != nil:
		return document.Document{}, storeError("sqlite: find document: %w", err)
	}
	return d, nil
}

// Update is the compare-and-set of updateVersioned. It cannot move the document: id and
// workspace are kept.
func (r *Documents) Update(ctx context.Context, workspaceID, id string, change func(*document.Document) (bool, error)) (document.Document, bool, error) {
	return updateVersioned(ctx, r.db, workspaceID, id, r.get, r.replace, document.ErrConflict, change)
}

// replace writes next over loaded if the row still has loaded's version.
func (r *Documents) replace(ctx context.Context, tx *sql.Tx, loaded, next document.Document) (bool, error) {
	res, err := r.db.exec(ctx, tx, "UPDATE documents SET name = ?, name_fold = ?, title = ?, title_fold = ?, size = ?, content_type = ?, "+
		"sha256 = ?, blob_id = ?, uploaded_by = ?, updated_at = ?, expires_at = ?, expiry_status = ?, version = ? "+
		"WHERE id = ? AND workspace_id = ? AND version = ?",
		next.Name, strings.ToLower(next.Name), next.Title, strings.ToLower(next.Title), next.Size, next.ContentType,
		next.SHA256, next.BlobID, next.UploadedBy, ms(next.UpdatedAt), msPtr(next.ExpiresAt), string(next.ExpiryStatus), next.Version,
		loaded.ID, loaded.WorkspaceID, loaded.Version)
	return matchedOne(res, err, "document")
}

// Delete removes the metadata.
func (r *Documents) Delete(ctx context.Context, workspaceID, id string) error {
	res, err := r.db.exec(ctx, r.db.w, "DELETE FROM documents WHERE id = ? AND workspace_id = ?", id, workspaceID)
	if err != nil {
		return storeError("sqlite: delete document: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return document.ErrNotFound
}

// List returns one page of a workspace's documents, newest first: (created_at, id) descending
// over the index (workspace_id, created_at, id), strictly after q.After. The text matches a
// lower-cased substring of the name or title.
func (r *Documents) List(ctx context.Context, workspaceID string, q document.Query) ([]document.Document, error) {
	if q.Limit < 1 {
		return nil, nil
	}
	var where strings.Builder
	args := []any{workspaceID}
	where.WriteString("workspace_id = ?")
	if len(q.ExpiryStatuses) > 0 {
		where.WriteString(" AND expiry_status IN (" + placeholders(len(q.ExpiryStatuses)) + ")")
		for _, st := range q.ExpiryStatuses {
			args = append(args, string(st))
		}
	}
	if q.Text != "" {
		text := strings.ToLower(q.Text)
		where.WriteString(" AND (instr(name_fold, ?) > 0 OR instr(title_fold, ?) > 0)")
		args = append(args, text, text)
	}
	if q.After != nil {
		where.WriteString(" AND (created_at, id) < (?, ?)")
		args = append(args, q.After.CreatedAt, q.After.ID)
	}
	args = append(args, q.Limit)
	docs, err := r.find(ctx, "SELECT "+documentColumns+" FROM documents INDEXED BY documents_by_created WHERE "+where.String()+
		" ORDER BY created_at DESC, id DESC LIMIT ?", args...)
	if err != nil {
		return nil, storeError("sqlite: list documents: %w", err)
	}
	return docs, nil
}

// staleExpiry selects, per stored status, the documents whose expiry puts them in another
// status at now (with soon = now + window): each branch a range of the index
// (expiry_status, expires_at), so the sweep never reads documents that are up to date.
const staleExpiry = "SELECT " + documentColumns + " FROM (" +
	"SELECT * FROM documents WHERE expiry_status = 'VALID' AND expires_at <= :soon" +
	" UNION ALL SELECT * FROM documents WHERE expiry_status = 'EXPIRING_SOON' AND expires_at <= :now" +
	" UNION ALL SELECT * FROM documents WHERE expiry_status = 'EXPIRING_SOON' AND expires_at > :soon" +
	" UNION ALL SELECT * FROM documents WHERE expiry_status = 'EXPIRING_SOON' AND expires_at IS NULL" +
	" UNION ALL SELECT * FROM documents WHERE expiry_status = 'EXPIRED' AND expires_at > :now" +
	" UNION ALL SELECT * FROM documents WHERE expiry_status = 'EXPIRED' AND expires_at IS NULL" +
	") LIMIT :limit"

// StaleExpiry returns up to limit documents, in any workspace, whose stored status is behind
// the clock. Stored expiries are whole milliseconds, so comparing them with now and soon rounded
// down is exact; the final check in Go only guards the two against drifting apart.
func (r *Documents) StaleExpiry(ctx context.Context, now time.Time, window time.Duration, limit int) ([]document.Document, error) {
	if limit < 1 {
		return nil, nil
	}
	docs, err := r.find(ctx, staleExpiry, sql.Named("soon", ms(now.Add(window))), sql.Named("now", ms(now)), sql.Named("limit", limit))
	if err != nil {
		return nil, storeError("sqlite: find stale expiry statuses: %w", err)
	}
	stale := docs[:0]
	for _, d := range docs {
		if d.ExpiryStatus != document.ExpiryStatusAt(d.ExpiresAt, now, window) {
			stale = append(stale, d)
		}
	}
	return stale, nil
}

// SetExpiryStatus moves the stored status in one statement conditional on the expected status
// and expiry, incrementing the version.
func (r *Documents) SetExpiryStatus(ctx context.Context, workspaceID, id string, from, to document.ExpiryStatus, expiresAt *time.Time, at time.Time) (bool, error) {
	res, err := r.db.exec(ctx, r.db.w, "UPDATE documents SET expiry_status = ?, updated_at = ?, version = version + 1 "+
		"WHERE id = ? AND workspace_id = ? AND expiry_status = ? AND expires_at IS ?",
		string(to), ms(at), id, workspaceID, string(from), msPtr(expiresAt))
	if err != nil {
		return false, storeError("sqlite: set document expiry status: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountByExpiryStatus returns a workspace's documents per stored status, as triggers keep them
// in document_counts.
func (r *Documents) CountByExpiryStatus(ctx context.Context, workspaceID string) (map[document.ExpiryStatus]int, error) {
	counts := map[document.ExpiryStatus]int{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return err
		}
		counts[document.ExpiryStatus(status)] += n
		return nil
	}, "SELECT expiry_status, n FROM document_counts WHERE workspace_id = ? AND n > 0", workspaceID)
	if err != nil {
		return nil, storeError("sqlite: count documents by expiry status: %w", err)
	}
	return counts, nil
}

func (r *Documents) find(ctx context.Context, query string, args ...any) ([]document.Document, error) {
	out := []document.Document{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		d, err := scanDocument(rows)
		out = append(out, d)
		return err
	}, query, args...)
	return out, err
}
