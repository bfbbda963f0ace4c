// Package authz is the shared vocabulary of authorization: the actions a user may attempt in a
// workspace and the port that answers whether they may.
//
// The workspace module owns the one permission table that maps roles to actions; every other
// module asks through the Authorizer port, which it declares in its own terms by embedding or
// repeating this interface.
package authz

import (
	"context"
	"strings"
)

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

	APIKeyManage  Action = "api-key.manage"
	WebhookManage Action = "webhook.manage"
)

// Actions lists every action, for completeness tests.
func Actions() []Action {
	return []Action{
		WorkspaceRead, WorkspaceUpdate, WorkspaceDelete, MemberManage,
		WorkItemRead, WorkItemWrite, WorkItemDelete,
		DocumentRead, DocumentUpload, DocumentDelete,
		AuditLogRead, APIKeyManage, WebhookManage,
	}
}

// Authorizer answers "may user U do action A in workspace W?". It returns nil when allowed, an
// apperr NotFound error when U is not a member (so a workspace's existence is not revealed), and
// an apperr Forbidden error when U is a member whose role does not allow A.
type Authorizer interface {
	Authorize(ctx context.Context, workspaceID, userID string, action Action) error
}

// Actors. A request made with an API key acts as the key, not as a user: its actor id is
// KeyActor(key id), which no user id can be (user ids are 24 hex characters), so the audit log
// names the key, and the Authorizer answers for it from the key's workspace and role.
const keyActorPrefix = "apikey:"

// KeyActor returns the actor id of the API key with id keyID.
func KeyActor(keyID string) string { return keyActorPrefix + keyID }

// KeyOf returns the key id of an API key's actor id; ok is false for a user's.
func KeyOf(actorID string) (keyID string, ok bool) {
	keyID, ok = strings.CutPrefix(actorID, keyActorPrefix)
	return keyID, ok && keyID != ""
}
