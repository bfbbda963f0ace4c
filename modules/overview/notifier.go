package overview

import (
	"context"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

// Notifier announces that a workspace's overview moved. It hears of every change once the audit
// log has stored it (Changed) and, when the change can move a figure, publishes
// overview:updated for that workspace once the window has passed — at most one per workspace
// per window, however many changes arrive in it. It subscribes to the log rather than standing
// in front of it, so every event reaches the log the same way and only stored changes count.
type Notifier struct {
	pub    events.Publisher
	window time.Duration
	clock  clock.Clock

	mu      sync.Mutex
	pending map[string]*time.Timer
	closed  bool
}

// NewNotifier returns a notifier that publishes its overview:updated events to pub.
func NewNotifier(pub events.Publisher, window time.Duration, c clock.Clock) *Notifier {
	return &Notifier{pub: pub, window: window, clock: c, pending: map[string]*time.Timer{}}
}

// Changed tells the notifier that the event name was stored for a workspace; it schedules an
// overview:updated when the catalogue says the event can move a figure (Spec.Overview) and none
// is pending for that workspace.
func (n *Notifier) Changed(ctx context.Context, workspaceID string, name events.Name) {
	if spec, _ := events.Of(name); !spec.Overview || workspaceID == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.pending[workspaceID] != nil {
		return
	}
	n.pending[workspaceID] = time.AfterFunc(n.window, func() {
		n.mu.Lock()
		delete(n.pending, workspaceID)
		n.mu.Unlock()
		n.pub.Publish(context.WithoutCancel(ctx), events.NewOverviewUpdated(workspaceID).Event(workspaceID, "", n.clock.Now()))
	})
}

// Close stops pending notifications; later changes schedule none.
func (n *Notifier) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	for wid, t := range n.pending {
		t.Stop()
		delete(n.pending, wid)
	}
}
