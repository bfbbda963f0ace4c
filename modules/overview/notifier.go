package overview

import (
	"context"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

// counted are the events that can change a figure of the overview.
var counted = map[events.Name]bool{
	events.WorkItemCreated: true, events.WorkItemDeleted: true, events.WorkItemStatusChanged: true,
	events.WorkItemUpdated:  true, // priority and due date count
	events.DocumentUploaded: true, events.DocumentDeleted: true, events.DocumentExpiryChanged: true,
	events.MemberInvited: true, events.MemberJoined: true, events.MemberRemoved: true,
}

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
// overview:updated when the event counts and none is pending for that workspace.
func (n *Notifier) Changed(ctx context.Context, workspaceID string, name events.Name) {
	if !counted[name] || workspaceID == "" {
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
		n.pub.Publish(context.WithoutCancel(ctx), events.Event{
			Name: events.OverviewUpdated, WorkspaceID: workspaceID, TargetType: events.TargetOverview,
			TargetID: workspaceID, At: n.clock.Now(),
		})
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
