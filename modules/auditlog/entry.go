package auditlog

import (
	"context"
	"maps"
	"time"

	"github.com/workspaceops/workspaceops/platform/events"
)

// Entry is one thing that happened in a workspace, as stored.
type Entry struct {
	ID          string
	WorkspaceID string
	Seq         int64 // 1, 2, 3, ... per workspace, no gaps
	Action      string
	Event       events.Name
	TargetType  string
	TargetID    string
	ActorID     string // "" for the system (the expiry sweeper, the overview notifier)
	At          time.Time
	Data        map[string]any
	// Trace is the W3C traceparent of the append that stored the entry, carried to the
	// receivers (over the bus too) so the delivery joins the request's trace; not stored.
	Trace string
}

// EventData is the data an entry is announced with, in a realtime event frame and a webhook
// delivery alike: the entry's own data, then the standard fields (which win on a clash):
// targetId, targetType, workspaceId, actorId (nil for the system), at, action and entryId.
func (e Entry) EventData() map[string]any {
	data := make(map[string]any, len(e.Data)+7)
	maps.Copy(data, e.Data)
	data["targetId"] = e.TargetID
	data["targetType"] = e.TargetType
	data["workspaceId"] = e.WorkspaceID
	if e.ActorID != "" {
		data["actorId"] = e.ActorID
	} else {
		data["actorId"] = nil
	}
	data["at"] = e.At.UTC().Format(time.RFC3339Nano)
	data["action"] = e.Action
	data["entryId"] = e.ID
	return data
}

// Repository stores entries.
type Repository interface {
	// Append stores e with the workspace's next seq, assigned atomically so that seqs stay
	// gap-free and unique under concurrent appends (also from several processes), and returns
	// the entry as stored.
	Append(ctx context.Context, e Entry) (Entry, error)
	// List returns at most q.Limit entries of the workspace matching q, newest first (seq
	// descending), with seq below q.BeforeSeq when it is set.
	List(ctx context.Context, workspaceID string, q Query) ([]Entry, error)
	// Since returns at most limit entries of the workspace with seq > afterSeq, oldest first.
	Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]Entry, error)
	// Head returns the workspace's highest seq, 0 when it has no entry.
	Head(ctx context.Context, workspaceID string) (int64, error)
}

// Query filters an audit log page.
type Query struct {
	Actions    []string
	ActorID    string
	TargetType string
	TargetID   string
	From, To   *time.Time // At >= From, At < To
	BeforeSeq  int64      // 0: from the newest
	Limit      int
}

// Broadcaster receives every stored entry, in the order appends finished (which may differ
// from seq order across concurrent appends: receivers order by seq).
type Broadcaster interface {
	Broadcast(ctx context.Context, e Entry)
}

// NoBroadcast drops entries; the default when no realtime layer is wired.
type NoBroadcast struct{}

// Broadcast does nothing.
func (NoBroadcast) Broadcast(context.Context, Entry) {}
