package workspace

import (
	"context"
	"errors"
	"fmt"

	"github.com/workspaceops/workspaceops/platform/authz"
)

// Authorizer answers "may user U do action A in workspace W?" from memberships alone. It is
// separate from Service, which publishes events, so that the event sink (the audit log) can be
// authorized by it without a dependency cycle.
type Authorizer struct{ repo Repository }

// NewAuthorizer returns the authorizer over the membership repository.
func NewAuthorizer(repo Repository) (*Authorizer, error) {
	if repo == nil {
		return nil, errors.New("workspace: authorizer needs a repository")
	}
	return &Authorizer{repo: repo}, nil
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
