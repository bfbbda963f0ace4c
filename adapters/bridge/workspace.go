package bridge

import (
	"context"
	"fmt"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
)

// This file satisfies the workspace module's ports.

// UserDirectory implements workspace.UserDirectory with the identity module's Directory.
type UserDirectory struct{ Identity *identity.Directory }

var _ workspace.UserDirectory = UserDirectory{}

// UserByEmail looks up a registered user by email.
func (d UserDirectory) UserByEmail(ctx context.Context, email string) (workspace.UserInfo, bool, error) {
	u, found, err := d.Identity.UserByEmail(ctx, email)
	if err != nil {
		return workspace.UserInfo{}, false, fmt.Errorf("identity directory: %w", err)
	}
	return userInfo(u), found, nil
}

// UsersByIDs looks up users by id.
func (d UserDirectory) UsersByIDs(ctx context.Context, ids []string) ([]workspace.UserInfo, error) {
	users, err := d.Identity.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("identity directory: %w", err)
	}
	out := make([]workspace.UserInfo, len(users))
	for i, u := range users {
		out[i] = userInfo(u)
	}
	return out, nil
}

func userInfo(u identity.User) workspace.UserInfo {
	return workspace.UserInfo{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName}
}

// WorkspaceContent implements workspace.ContentPurger: a deleted workspace's work items, then its
// documents with their content, then its webhooks and its API keys.
type WorkspaceContent struct {
	WorkItems *workitem.Service
	Documents *document.Service
	Webhooks  *webhook.Service
	APIKeys   *apikey.Service
}

var _ workspace.ContentPurger = WorkspaceContent{}

// PurgeWorkspace deletes what the other modules keep for the workspace.
func (p WorkspaceContent) PurgeWorkspace(ctx context.Context, workspaceID string) error {
	if err := p.WorkItems.PurgeWorkspace(ctx, workspaceID); err != nil {
		return err
	}
	if err := p.Documents.PurgeWorkspace(ctx, workspaceID); err != nil {
		return err
	}
	if err := p.Webhooks.PurgeWorkspace(ctx, workspaceID); err != nil {
		return err
	}
	return p.APIKeys.PurgeWorkspace(ctx, workspaceID)
}

// KeyGrants implements workspace.KeyGrants with the apikey module's Lookup.
type KeyGrants struct{ Keys *apikey.Lookup }

var _ workspace.KeyGrants = KeyGrants{}

// KeyGrant returns what an API key's actor may do.
func (k KeyGrants) KeyGrant(ctx context.Context, actorID string) (workspace.KeyGrant, bool, error) {
	g, found, err := k.Keys.Grant(ctx, actorID)
	if err != nil || !found {
		return workspace.KeyGrant{}, false, err
	}
	return workspace.KeyGrant{WorkspaceID: g.WorkspaceID, Role: workspace.Role(g.Role), CreatedBy: g.CreatedBy}, true, nil
}
