package workspace

import (
	"context"
	"errors"
	"fmt"

	"github.com/workspaceops/workspaceops/platform/authz"
)

// Authorizer answers "may user U do action A in workspace W?" from memberships, and for an API
// key's actor from the key's grant. It is separate from Service, which publishes events, so
// that the event sink (the audit log) can be authorized by it without a dependency cycle.
type Authorizer struct {
	repo Repository
	keys KeyGrants
}

// NewAuthorizer returns the authorizer over the membership repository and the API keys.
func NewAuthorizer(repo Repository, keys KeyGrants) (*Authorizer, error) {
	if repo == nil || keys == nil {
		return nil, errors.New("workspace: authorizer needs a repository and the API keys")
	}
	return &Authorizer{repo: repo, keys: keys}, nil
}

var _ authz.Authorizer = (*Authorizer)(nil)

// Authorize returns nil when allowed, ErrWorkspaceNotFound when U is not a member (or W does not
// exist), ErrForbidden otherwise.
func (a *Authorizer) Authorize(ctx context.Context, workspaceID, userID string, action authz.Action) error {
	_, err := a.authorize(ctx, workspaceID, userID, action)
	return err
}

// IsMember reports whether the user belongs to the workspace.
func (a *Authorizer) IsMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	_, err := a.membership(ctx, workspaceID, userID)
	switch {
	case errors.Is(err, ErrWorkspaceNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

func (a *Authorizer) membership(ctx context.Context, workspaceID, userID string) (Membership, error) {
	if _, isKey := authz.KeyOf(userID); isKey {
		return a.keyMembership(ctx, workspaceID, userID)
	}
	m, err := a.repo.Member(ctx, workspaceID, userID)
	if errors.Is(err, ErrMemberNotFound) {
		return Membership{}, ErrWorkspaceNotFound
	}
	if err != nil {
		return Membership{}, fmt.Errorf("load membership: %w", err)
	}
	return m, nil
}

func (a *Authorizer) authorize(ctx context.Context, workspaceID, userID string, action authz.Action) (Membership, error) {
	m, err := a.membership(ctx, workspaceID, userID)
	if err != nil {
		return Membership{}, err
	}
	if !m.Role.Can(action) {
		return Membership{}, ErrForbidden
	}
	return m, nil
}

// keyMembership is an API key's standing in a workspace, as if it were a member: in its own
// workspace, with its role, lowered to its creator's current role (a demoted creator's keys
// are demoted, a removed creator's keys act nowhere). Any other workspace is not found, as
// for a non-member.
func (a *Authorizer) keyMembership(ctx context.Context, workspaceID, actorID string) (Membership, error) {
	g, found, err := a.keys.KeyGrant(ctx, actorID)
	if err != nil {
		return Membership{}, fmt.Errorf("load api key: %w", err)
	}
	if !found || g.WorkspaceID != workspaceID {
		return Membership{}, ErrWorkspaceNotFound
	}
	creator, err := a.membership(ctx, workspaceID, g.CreatedBy)
	if err != nil {
		return Membership{}, err
	}
	return Membership{WorkspaceID: workspaceID, UserID: actorID, Role: lower(g.Role, creator.Role)}, nil
}

// AuthorizeKeyRole answers whether the user may create an API key with the named role in the
// workspace (apikey.Grants): nil, ErrWorkspaceNotFound for a non-member, ErrForbidden when
// their role may not give it, ErrInvalidRole for a role that is not one, or OWNER. Keys never
// create keys: a key that could would outlive its own revocation.
func (a *Authorizer) AuthorizeKeyRole(ctx context.Context, workspaceID, userID, roleName string) error {
	if _, isKey := authz.KeyOf(userID); isKey {
		return ErrForbidden
	}
	actor, err := a.authorize(ctx, workspaceID, userID, authz.APIKeyManage)
	if err != nil {
		return err
	}
	role, err := ParseRole(roleName)
	if err != nil {
		return err
	}
	if role == Owner {
		return ErrKeyOwner
	}
	if !canGrantKey(actor.Role, role) {
		return ErrRankTooLow
	}
	return nil
}
