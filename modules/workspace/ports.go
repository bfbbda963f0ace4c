package workspace

import (
	"context"
	"time"
)

// Repository stores workspaces, memberships and invitations. Every method is one atomic
// database operation; the use cases order them so that no crash breaks an invariant.
type Repository interface {
	// CreateWorkspace stores w and its first owner's membership.
	CreateWorkspace(ctx context.Context, w Workspace, owner Membership) error
	// Workspace returns the workspace or ErrWorkspaceNotFound.
	Workspace(ctx context.Context, id string) (Workspace, error)
	// WorkspacesByIDs returns the workspaces that exist among ids.
	WorkspacesByIDs(ctx context.Context, ids []string) ([]Workspace, error)
	// RenameWorkspace sets the name and update time; ErrWorkspaceNotFound when missing.
	RenameWorkspace(ctx context.Context, id, name string, at time.Time) (Workspace, error)
	// DeleteWorkspace removes the workspace, then its memberships and invitations.
	DeleteWorkspace(ctx context.Context, id string) error
	// AddOwners adds delta to OwnerCount. A negative delta that would leave fewer than one
	// owner changes nothing and returns ErrLastOwner.
	AddOwners(ctx context.Context, workspaceID string, delta int) error

	// AddMember stores m; ErrAlreadyMember when the user is already a member,
	// ErrWorkspaceNotFound when the workspace does not exist. Atomically with a concurrent
	// DeleteWorkspace: no membership of a deleted workspace remains.
	AddMember(ctx context.Context, m Membership) error
	// Member returns the membership or ErrMemberNotFound.
	Member(ctx context.Context, workspaceID, userID string) (Membership, error)
	// SetRole changes a member's role from `from` to `to` only if it is still `from`
	// (compare-and-set): ErrConcurrentUpdate when it changed, ErrMemberNotFound when gone.
	SetRole(ctx context.Context, workspaceID, userID string, from, to Role) (Membership, error)
	// RemoveMember deletes the membership only if its role is still `role`:
	// ErrConcurrentUpdate when it changed, ErrMemberNotFound when gone.
	RemoveMember(ctx context.Context, workspaceID, userID string, role Role) error
	// Members lists a workspace's memberships by user id, after the given id, at most limit.
	Members(ctx context.Context, workspaceID, afterUserID string, limit int) ([]Membership, error)
	// CountMembers counts a workspace's memberships.
	CountMembers(ctx context.Context, workspaceID string) (int, error)
	// MembershipsOf lists a user's memberships by workspace id, after the given id, at most limit.
	MembershipsOf(ctx context.Context, userID, afterWorkspaceID string, limit int) ([]Membership, error)

	// CreateInvitation stores inv; ErrAlreadyInvited when one for the same workspace and email
	// exists (expired ones included: delete those first); ErrWorkspaceNotFound when the
	// workspace does not exist, atomically with a concurrent DeleteWorkspace as AddMember.
	CreateInvitation(ctx context.Context, inv Invitation) error
	// PendingInvitations lists a workspace's invitations not expired at now, by id, after the
	// given id, at most limit.
	PendingInvitations(ctx context.Context, workspaceID, afterID string, now time.Time, limit int) ([]Invitation, error)
	// InvitationsFor lists every invitation for an email, in all workspaces, expired included.
	InvitationsFor(ctx context.Context, email string) ([]Invitation, error)
	// DeleteInvitation removes one invitation; ErrInvitationNotFound when missing.
	DeleteInvitation(ctx context.Context, workspaceID, id string) error
	// DeleteExpiredInvitation removes the workspace's invitation for email if it expired by now.
	DeleteExpiredInvitation(ctx context.Context, workspaceID, email string, now time.Time) error
}

// ContentPurger removes what other modules keep for a workspace (work items, documents and
// their content) once it is deleted; the audit log stays.
type ContentPurger interface {
	PurgeWorkspace(ctx context.Context, workspaceID string) error
}

// NoPurge keeps a deleted workspace's content; the default when no purger is wired.
type NoPurge struct{}

// PurgeWorkspace does nothing.
func (NoPurge) PurgeWorkspace(context.Context, string) error { return nil }

// UserInfo is what this module needs to know about a user.
type UserInfo struct {
	ID          string
	Email       string
	DisplayName string
}

// UserDirectory looks users up; the identity module answers it through an adapter.
type UserDirectory interface {
	// UserByEmail returns the user registered with a normalised email; found is false if none.
	UserByEmail(ctx context.Context, email string) (u UserInfo, found bool, err error)
	// UsersByIDs returns the users that exist among ids.
	UsersByIDs(ctx context.Context, ids []string) ([]UserInfo, error)
}

// KeyGrant is what an API key may do: act in one workspace, with one role, as long as the user
// who created it is a member (never above that user's current role).
type KeyGrant struct {
	WorkspaceID string
	Role        Role
	CreatedBy   string
}

// KeyGrants looks up API keys (the apikey module answers through an adapter).
type KeyGrants interface {
	// KeyGrant returns the grant of an API key's actor id (authz.KeyActor); found is false when
	// the key does not exist (revoked).
	KeyGrant(ctx context.Context, actorID string) (g KeyGrant, found bool, err error)
}

// NoKeys knows no API key; the default when none is wired.
type NoKeys struct{}

// KeyGrant finds nothing.
func (NoKeys) KeyGrant(context.Context, string) (KeyGrant, bool, error) {
	return KeyGrant{}, false, nil
}
