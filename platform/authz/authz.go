// Package authz is the shared vocabulary of authorization: the actions a user may attempt in a
// workspace and the port that answers whether they may.
//
// The workspace module owns the one permission table that maps roles to actions; every other
// module asks through the Authorizer port, which it declares in its own terms by embedding or
// repeating this interface.
package authz

import "context"

// Action is something a user may attempt inside a workspace.
type Action string

// The actions. Adding one means adding a row to the workspace module's permission table, whose
// test fails until every action has a row.
const (
	WorkspaceRead   Action = "workspace.read"
	WorkspaceUpdate Action = "workspace.update"
	WorkspaceDelete Action = "workspace.delete"
	MemberManage    Action = "member.manage"

	WorkItemRead   Action = "work-item.read"
	WorkItemWrite  Action = "work-item.write"
	WorkItemDelete Action = "work-item.delete"

	DocumentRead   Action = "document.read"
	DocumentUpload Action = "document.upload"
	DocumentDelete Action = "document.delete"

	AuditLogRead Action = "audit-log.read"

	WebhookManage Action = "webhook.manage"
)

// Actions lists every action, for completeness tests.
func Actions() []Action {
	return []Action{
		WorkspaceRead, WorkspaceUpdate, WorkspaceDelete, MemberManage,
		WorkItemRead, WorkItemWrite, WorkItemDelete,
		DocumentRead, DocumentUpload, DocumentDelete,
		AuditLogRead,
		WebhookManage,
	}
}

// Authorizer answers "may user U do action A in workspace W?". It returns nil when allowed, an
// apperr NotFound error when U is not a member (so a workspace's existence is not revealed), and
// an apperr Forbidden error when U is a member whose role does not allow A.
type Authorizer interface {
	Authorize(ctx context.Context, workspaceID, userID string, action Action) error
}
