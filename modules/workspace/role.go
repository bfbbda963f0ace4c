package workspace

import (
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
)

// Role is a member's rank in a workspace. Ranks are ordered OWNER > ADMIN > MEMBER > VIEWER.
type Role string

// The roles.
const (
	Owner  Role = "OWNER"
	Admin  Role = "ADMIN"
	Member Role = "MEMBER"
	Viewer Role = "VIEWER"
)

// ErrInvalidRole is returned for a role name outside the four.
var ErrInvalidRole = apperr.Validation(apperr.FieldError{Field: "role", Message: "must be one of OWNER, ADMIN, MEMBER, VIEWER"})

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Owner, Admin, Member, Viewer:
		return r, nil
	}
	return "", ErrInvalidRole
}

func (r Role) rank() int {
	switch r {
	case Owner:
		return 4
	case Admin:
		return 3
	case Member:
		return 2
	case Viewer:
		return 1
	}
	return 0
}

// permissions is THE permission table: the lowest role allowed to do each action. Ranks above it
// may too. Member management is further limited by rank (see canManage and canGrant).
var permissions = map[authz.Action]Role{
	authz.WorkspaceRead:   Viewer,
	authz.WorkspaceUpdate: Admin,
	authz.WorkspaceDelete: Owner,
	authz.MemberManage:    Admin,

	authz.WorkItemRead:   Viewer,
	authz.WorkItemWrite:  Member,
	authz.WorkItemDelete: Member,

	authz.DocumentRead:   Viewer,
	authz.DocumentUpload: Member,
	authz.DocumentDelete: Admin,

	authz.AuditLogRead: Viewer,

	authz.APIKeyManage:  Admin,
	authz.WebhookManage: Admin,
}

// Can reports whether role r may do action a. Unknown actions are refused.
func (r Role) Can(a authz.Action) bool {
	min, ok := permissions[a]
	return ok && r.rank() >= min.rank()
}

// canManage reports whether a member with role actor may change or remove a member with role
// target: an owner manages everyone; others who may manage members, only ranks below their own.
func canManage(actor, target Role) bool {
	return actor == Owner || (actor.Can(authz.MemberManage) && target.rank() < actor.rank())
}

// canGrant reports whether a member with role actor may give role r: nobody grants above their
// own rank, and only an owner grants their own rank.
func canGrant(actor, r Role) bool {
	return actor == Owner || (actor.Can(authz.MemberManage) && r.rank() < actor.rank())
}

// canGrantKey reports whether a member with role actor may create an API key with role r: those
// who may manage keys give up to their own rank, and no key is ever OWNER (a key that could
// delete the workspace or make owners is a risk no integration needs).
func canGrantKey(actor, r Role) bool {
	return actor.Can(authz.APIKeyManage) && r != Owner && r.rank() <= actor.rank()
}

// lower returns the lower of two roles.
func lower(a, b Role) Role {
	if a.rank() < b.rank() {
		return a
	}
	return b
}
