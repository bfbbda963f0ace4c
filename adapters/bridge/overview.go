package bridge

import (
	"context"
	"fmt"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
)

// This file satisfies the overview module's ports.

// WorkItemFigures implements overview.WorkItemCounter with the workitem module. Every status
// and priority is present in the answer, zero when nothing has it.
type WorkItemFigures struct{ WorkItems *workitem.Service }

var _ overview.WorkItemCounter = WorkItemFigures{}

// WorkItemFigures counts a workspace's work items.
func (b WorkItemFigures) WorkItemFigures(ctx context.Context, workspaceID string) (overview.WorkItemFigures, error) {
	c, err := b.WorkItems.Counts(ctx, workspaceID)
	if err != nil {
		return overview.WorkItemFigures{}, fmt.Errorf("work item counts: %w", err)
	}
	out := overview.WorkItemFigures{ByStatus: map[string]int{}, ByPriority: map[string]int{}, Overdue: c.Overdue}
	for _, s := range workitem.Statuses() {
		out.ByStatus[string(s)] = c.ByStatus[s]
	}
	for _, p := range workitem.Priorities() {
		out.ByPriority[string(p)] = c.ByPriority[p]
	}
	return out, nil
}

// DocumentFigures implements overview.DocumentCounter with the document module.
type DocumentFigures struct{ Documents *document.Service }

var _ overview.DocumentCounter = DocumentFigures{}

// DocumentFigures counts a workspace's documents per expiry status.
func (b DocumentFigures) DocumentFigures(ctx context.Context, workspaceID string) (overview.DocumentFigures, error) {
	byStatus, total, err := b.Documents.ExpiryCounts(ctx, workspaceID)
	if err != nil {
		return overview.DocumentFigures{}, fmt.Errorf("document counts: %w", err)
	}
	out := overview.DocumentFigures{Total: total, ByExpiryStatus: map[string]int{}}
	for _, s := range []document.ExpiryStatus{document.Valid, document.ExpiringSoon, document.Expired} {
		out.ByExpiryStatus[string(s)] = byStatus[s]
	}
	return out, nil
}

// MemberFigures implements overview.MemberCounter with the workspace module.
type MemberFigures struct{ Workspaces *workspace.Service }

var _ overview.MemberCounter = MemberFigures{}

// MemberCount counts a workspace's active members.
func (b MemberFigures) MemberCount(ctx context.Context, workspaceID string) (int, error) {
	n, err := b.Workspaces.MemberCount(ctx, workspaceID)
	if err != nil {
		return 0, fmt.Errorf("member count: %w", err)
	}
	return n, nil
}

// Activity implements overview.ActivityFeed with the audit log.
type Activity struct{ AuditLog *auditlog.Service }

var _ overview.ActivityFeed = Activity{}

// Recent returns the newest change entries of a workspace, newest first.
func (b Activity) Recent(ctx context.Context, workspaceID string, limit int) ([]overview.Activity, error) {
	entries, err := b.AuditLog.Recent(ctx, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent audit entries: %w", err)
	}
	out := make([]overview.Activity, len(entries))
	for i, e := range entries {
		out[i] = overview.Activity{ID: e.ID, WorkspaceID: e.WorkspaceID, Seq: e.Seq, Action: e.Action, Event: string(e.Event),
			TargetType: e.TargetType, TargetID: e.TargetID, ActorID: e.ActorID, At: e.At, Data: e.Data}
	}
	return out, nil
}
