package bridge

import (
	"context"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/workspace"
)

// This file satisfies the apikey module's ports.

// KeyRoles implements apikey.Grants with the workspace module's role table.
type KeyRoles struct{ Authorizer *workspace.Authorizer }

var _ apikey.Grants = KeyRoles{}

// AuthorizeKeyRole answers whether the user may give a key the role in the workspace.
func (k KeyRoles) AuthorizeKeyRole(ctx context.Context, workspaceID, userID, role string) error {
	return k.Authorizer.AuthorizeKeyRole(ctx, workspaceID, userID, role)
}
