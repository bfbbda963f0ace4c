package bridge

import (
	"context"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/workitem"
)

// This file satisfies the document module's ports.

// WorkItemLinks implements document.LinkRemover with the workitem module: a deleted document
// is unlinked from every work item of its workspace.
type WorkItemLinks struct{ WorkItems *workitem.Service }

var _ document.LinkRemover = WorkItemLinks{}

// UnlinkEverywhere removes the document from every work item that links it.
func (b WorkItemLinks) UnlinkEverywhere(ctx context.Context, actorID, workspaceID, documentID string) error {
	return b.WorkItems.UnlinkEverywhere(ctx, actorID, workspaceID, documentID)
}
