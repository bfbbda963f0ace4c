package workspace

import "github.com/workspaceops/workspaceops/platform/apperr"

// Domain errors. A non-member always gets ErrWorkspaceNotFound, so existence is not revealed.
var (
	ErrWorkspaceNotFound  = apperr.New(apperr.NotFound, "workspace_not_found", "workspace not found")
	ErrMemberNotFound     = apperr.New(apperr.NotFound, "member_not_found", "member not found")
	ErrInvitationNotFound = apperr.New(apperr.NotFound, "invitation_not_found", "invitation not found")
	ErrForbidden          = apperr.New(apperr.Forbidden, "forbidden", "your role in this workspace does not allow this")
	ErrRankTooLow         = apperr.New(apperr.Forbidden, "rank_too_low", "you cannot grant a role above your own or act on a member ranked above you")
	ErrOwnRole            = apperr.New(apperr.Forbidden, "own_role", "you cannot change your own role; ask another owner or admin, or leave")
	ErrAlreadyMember      = apperr.New(apperr.Conflict, "already_member", "this person is already a member")
	ErrAlreadyInvited     = apperr.New(apperr.Conflict, "already_invited", "a pending invitation for this email exists")
	ErrLastOwner          = apperr.New(apperr.Conflict, "last_owner", "a workspace must keep at least one owner")
	ErrKeyOwner           = apperr.Validation(apperr.FieldError{Field: "role", Message: "an API key cannot be OWNER; use ADMIN, MEMBER or VIEWER"})
	ErrConcurrentUpdate   = apperr.New(apperr.Conflict, "concurrent_update", "the member was changed by someone else; reload and retry")
)
