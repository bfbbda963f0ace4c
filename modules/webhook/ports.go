package webhook

import (
	"context"
	"time"
)

// Repository stores webhooks and their deliveries log.
type Repository interface {
	// Create stores a new webhook.
	Create(ctx context.Context, w Webhook) error
	// Get returns the webhook of the workspace, or ErrNotFound.
	Get(ctx context.Context, workspaceID, id string) (Webhook, error)
	// List returns at most limit webhooks of the workspace with id > afterID, by id.
	List(ctx context.Context, workspaceID, afterID string, limit int) ([]Webhook, error)
	// Count returns how many webhooks the workspace has.
	Count(ctx context.Context, workspaceID string) (int, error)
	// Active returns at most limit active webhooks of every workspace with id > afterID, by id:
	// what the dispatcher delivers.
	Active(ctx context.Context, afterID string, limit int) ([]Webhook, error)
	// Update is a compare-and-set on the version (see platform/versioned): change edits a copy
	// and returns false to write nothing. It returns the webhook as written (or as loaded) and
	// whether it wrote; ErrNotFound, or ErrConflict after losing every race.
	Update(ctx context.Context, workspaceID, id string, change func(*Webhook) (bool, error)) (Webhook, bool, error)
	// Delete removes the webhook and its deliveries log, or returns ErrNotFound.
	Delete(ctx context.Context, workspaceID, id string) error
	// DeleteWorkspace removes every webhook of the workspace and their deliveries logs.
	DeleteWorkspace(ctx context.Context, workspaceID string) error

	// AddAttempt records one delivery attempt; (webhook, delivery id, attempt) is unique.
	AddAttempt(ctx context.Context, a Attempt) error
	// Attempts returns at most q.Limit attempts of the webhook newest first (Key descending),
	// with Key < q.BeforeKey when it is set.
	Attempts(ctx context.Context, webhookID string, q AttemptQuery) ([]Attempt, error)
	// LastAttempt returns the newest attempt of one delivery, or ErrDeliveryNotFound.
	LastAttempt(ctx context.Context, webhookID, deliveryID string) (Attempt, error)
	// PruneAttempts deletes the attempts made before t, of every webhook.
	PruneAttempts(ctx context.Context, before time.Time) error
}

// AttemptQuery is a page of a deliveries log.
type AttemptQuery struct {
	BeforeKey string
	Limit     int
}

// Entry is one audit log entry as a webhook delivers it. Data is the realtime frame's data.
type Entry struct {
	Seq   int64
	Event string
	At    time.Time
	Data  map[string]any
}

// Log reads a workspace's audit log (the auditlog module, through adapters/bridge).
type Log interface {
	// Since returns at most limit entries of the workspace with seq > afterSeq, oldest first.
	Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]Entry, error)
	// Head returns the workspace's latest seq, 0 when its log is empty.
	Head(ctx context.Context, workspaceID string) (int64, error)
}

// Request is one HTTP POST to a webhook's URL.
type Request struct {
	URL    string
	Header map[string]string
	Body   []byte
}

// Response is how a POST ended: Status is 0 when no response came (Err says why).
type Response struct {
	Status   int
	Duration time.Duration
	Err      error
}

// Sender posts deliveries (adapters/webhooksender: the address-checking dialer, no redirects,
// a timeout, a bounded read of the response).
type Sender interface {
	Send(ctx context.Context, r Request) Response
	// CheckDestination refuses a URL whose host resolves to an address webhooks may not reach
	// (ErrDestination), unless the host is allowed explicitly.
	CheckDestination(ctx context.Context, rawURL string) error
}
