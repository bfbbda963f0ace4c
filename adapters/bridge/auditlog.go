package bridge

import (
	"context"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/platform/events"
)

// This file satisfies the audit log module's ports, and the events port every module publishes
// to, whose sink is the audit log.

// OverviewChanges implements auditlog.Broadcaster with the overview's Notifier: each stored
// entry may move a workspace's figures.
type OverviewChanges struct{ Notifier *overview.Notifier }

var _ auditlog.Broadcaster = OverviewChanges{}

// Broadcast tells the notifier which event was stored for which workspace.
func (b OverviewChanges) Broadcast(ctx context.Context, e auditlog.Entry) {
	b.Notifier.Changed(ctx, e.WorkspaceID, e.Event)
}

// Events returns the events.Publisher every module publishes to: the audit log, which stores
// each event, then hands the stored entry to the realtime bus and to the overview's notifier,
// subscribed here. The notifier publishes its overview:updated through the log too, so it is
// built on the log and subscribed after it; doing it where every module's publisher comes from
// means it hears from the first event on.
func Events(audit *auditlog.Service, n *overview.Notifier) events.Publisher {
	audit.Subscribe(OverviewChanges{Notifier: n})
	return audit
}
