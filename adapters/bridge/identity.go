package bridge

import (
	"context"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/workspace"
)

// This file satisfies the identity module's ports.

// Registrations implements identity.RegistrationListener with the workspace module: a new
// user's pending invitations become memberships.
type Registrations struct{ Workspaces *workspace.Service }

var _ identity.RegistrationListener = Registrations{}

// UserRegistered hands the new user to the workspace module.
func (r Registrations) UserRegistered(ctx context.Context, userID, email string) error {
	return r.Workspaces.UserRegistered(ctx, userID, email)
}
