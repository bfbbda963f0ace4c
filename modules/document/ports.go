package document

import (
	"context"
	"io"
	"time"
)

// Repository stores document metadata.
type Repository interface {
	// Create stores new metadata.
	Create(ctx context.Context, d Document) error
	// Get returns the document of that workspace, or ErrNotFound.
	Get(ctx context.Context, workspaceID, id string) (Document, error)
	// Update loads the document, lets change modify it and writes it back only if its version
	// is still the one loaded (incrementing it), retrying a few times on a lost race, then
	// ErrConflict. change returns false to write nothing.
	Update(ctx context.Context, workspaceID, id string, change func(*Document) (bool, error)) (Document, bool, error)
	// Delete removes the metadata; ErrNotFound when it is not there.
	Delete(ctx context.Context, workspaceID, id string) error
	// List returns at most q.Limit documents of the workspace matching q, newest first
	// (createdAt desc, then id desc), after q.After.
	List(ctx context.Context, workspaceID string, q Query) ([]Document, error)
	// StaleExpiry returns up to limit documents, in any workspace, whose stored ExpiryStatus
	// differs from ExpiryStatusAt(now, window): candidates for the sweeper.
	StaleExpiry(ctx context.Context, now time.Time, window time.Duration, limit int) ([]Document, error)
	// SetExpiryStatus moves the stored status from `from` to `to` only if it is still `from`
	// and the stored expiry is still expiresAt, the one `to` was computed from (compare-and-set,
	// so one instance wins each move and a move computed before a concurrent Update changed the
	// expiry never lands); it reports whether it moved. A move sets UpdatedAt to at and
	// increments Version, like any other change of the stored document.
	SetExpiryStatus(ctx context.Context, workspaceID, id string, from, to ExpiryStatus, expiresAt *time.Time, at time.Time) (bool, error)
	// CountByExpiryStatus counts a workspace's documents per stored expiry status.
	CountByExpiryStatus(ctx context.Context, workspaceID string) (map[ExpiryStatus]int, error)
}

// Query is one page of a document list.
type Query struct {
	ExpiryStatuses []ExpiryStatus // empty: all
	Text           string         // case-insensitive substring of the name or title
	After          *Position
	Limit          int
}

// Position is the createdAt (Unix ms) and id of the last document of the previous page.
type Position struct {
	CreatedAt int64
	ID        string
}

// Blob is stored content as written.
type Blob struct {
	ID          string
	Size        int64
	SHA256      string // lowercase hex
	ContentType string // sniffed from the first bytes (net/http.DetectContentType)
}

// Content is stored content opened for reading; it supports seeking for range requests.
type Content interface {
	io.ReadSeekCloser
	Size() int64
}

// BlobStore keeps document content.
type BlobStore interface {
	// Put stores everything r yields under id, refusing more than maxBytes with ErrTooLarge and
	// an empty stream with ErrEmptyFile; on any failure nothing of it stays stored.
	Put(ctx context.Context, id string, r io.Reader, maxBytes int64) (Blob, error)
	// Open returns the content stored under id, or ErrNotFound.
	Open(ctx context.Context, id string) (Content, error)
	// Delete removes the content; deleting missing content is not an error.
	Delete(ctx context.Context, id string) error
}

// LinkRemover unlinks a deleted document from every work item of its workspace; the workitem
// module answers it through an adapter.
type LinkRemover interface {
	UnlinkEverywhere(ctx context.Context, actorID, workspaceID, documentID string) error
}
