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

// Notifier is an events.Publisher that passes every event on and, when one can change a
// workspace's overview, publishes overview:updated for that workspace once the window has
// passed — at most one per workspace per window, however many changes arrive in it.
type Notifier struct {
	next   events.Publisher
	window time.Duration
	clock  clock.Clock

	mu      sync.Mutex
	pending map[string]*time.Timer
	closed  bool
}

// NewNotifier wraps next.
func NewNotifier(next events.Publisher, window time.Duration, c clock.Clock) *Notifier {
	return &Notifier{next: next, window: window, clock: c, pending: map[string]*time.Timer{}}
}

// Publish passes e on and schedules an overview:updated when e counts.
func (n *Notifier) Publish(ctx context.Context, e events.Event) {
	n.next.Publish(ctx, e)
	if !counted[e.Name] || e.WorkspaceID == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.pending[e.WorkspaceID] != nil {
		return
	}
	wid := e.WorkspaceID
	n.pending[wid] = time.AfterFunc(n.window, func() {
		n.mu.Lock()
		delete(n.pending, wid)
		n.mu.Unlock()
		n.next.Publish(context.WithoutCancel(ctx), events.Event{
			Name: events.OverviewUpdated, WorkspaceID: wid, TargetType: events.TargetOverview,
			TargetID: wid, At: n.clock.Now(),
		})
	})
}

// Close stops pending notifications; later events are passed on without notifications.
func (n *Notifier) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	for wid, t := range n.pending {
		t.Stop()
		delete(n.pending, wid)
	}
}
