package bridge

import (
	"context"
	"fmt"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
)

// This file satisfies the workitem module's ports.

// DocumentLookup implements workitem.DocumentLookup with the document module's read-only
// Lookup (not its Service, which itself needs the workitem module to unlink deleted documents).
type DocumentLookup struct{ Documents *document.Lookup }

var _ workitem.DocumentLookup = DocumentLookup{}

// DocumentExists reports whether the document exists in the workspace.
func (b DocumentLookup) DocumentExists(ctx context.Context, workspaceID, documentID string) (bool, error) {
	ok, err := b.Documents.DocumentExists(ctx, workspaceID, documentID)
	if err != nil {
		return false, fmt.Errorf("document lookup: %w", err)
	}
	return ok, nil
}

// Members implements workitem.MemberChecker with the workspace module's Authorizer (assignees
// must be members).
type Members struct{ Workspaces *workspace.Authorizer }

var _ workitem.MemberChecker = Members{}

// IsMember reports whether the user belongs to the workspace.
func (b Members) IsMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	return b.Workspaces.IsMember(ctx, workspaceID, userID)
}
