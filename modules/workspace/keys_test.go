package workspace_test

import (
	"context"
	"errors"
	"testing"

	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
)

// grants is a fake KeyGrants: key actor id -> grant.
type grants map[string]workspace.KeyGrant

func (g grants) KeyGrant(_ context.Context, actorID string) (workspace.KeyGrant, bool, error) {
	k, ok := g[actorID]
	return k, ok, nil
}

// A key acts in its workspace with its role (never above its creator's current one), and
// everywhere else as a non-member.
func TestKeysAreAuthorizedByTheirGrant(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	other, err := f.svc.Create(ctx, "owner", "Other")
	if err != nil {
		t.Fatal(err)
	}
	keys := grants{
		authz.KeyActor("viewer-key"): {WorkspaceID: wid, Role: workspace.Viewer, CreatedBy: "owner"},
		authz.KeyActor("admin-key"):  {WorkspaceID: wid, Role: workspace.Admin, CreatedBy: "admin"},
		authz.KeyActor("orphan-key"): {WorkspaceID: wid, Role: workspace.Admin, CreatedBy: "outsider"},
	}
	az, err := workspace.NewAuthorizer(f.store, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		actor, wid string
		action     authz.Action
		want       apperr.Kind // 0 (Internal) means allowed here
		allowed    bool
	}{
		{authz.KeyActor("viewer-key"), wid, authz.WorkItemRead, 0, true},
		{authz.KeyActor("viewer-key"), wid, authz.WorkItemWrite, apperr.Forbidden, false},
		{authz.KeyActor("viewer-key"), other.ID, authz.WorkItemRead, apperr.NotFound, false},
		{authz.KeyActor("admin-key"), wid, authz.MemberManage, 0, true},
		{authz.KeyActor("admin-key"), wid, authz.WorkspaceDelete, apperr.Forbidden, false},
		{authz.KeyActor("orphan-key"), wid, authz.WorkItemRead, apperr.NotFound, false},
		{authz.KeyActor("revoked-key"), wid, authz.WorkItemRead, apperr.NotFound, false},
	} {
		err := az.Authorize(ctx, tc.wid, tc.actor, tc.action)
		if tc.allowed {
			if err != nil {
				t.Errorf("%s %s: %v, want allowed", tc.actor, tc.action, err)
			}
			continue
		}
		if e := apperr.As(err); e == nil || e.Kind != tc.want {
			t.Errorf("%s %s in %s: %v, want kind %d", tc.actor, tc.action, tc.wid, err, tc.want)
		}
	}

	// Demoting the admin who created a key demotes the key.
	if _, err := f.svc.ChangeRole(ctx, "owner", wid, "admin", "MEMBER"); err != nil {
		t.Fatal(err)
	}
	if err := az.Authorize(ctx, wid, authz.KeyActor("admin-key"), authz.MemberManage); !errors.Is(err, workspace.ErrForbidden) {
		t.Fatalf("a demoted creator's key still manages members: %v", err)
	}
}

// Who may give which role to a key: owners and admins, up to their own rank, never OWNER, and
// never a key.
func TestAuthorizeKeyRole(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	az, err := workspace.NewAuthorizer(f.store, workspace.NoKeys{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, role string
		want       error
	}{
		{"owner", "ADMIN", nil},
		{"owner", "VIEWER", nil},
		{"admin", "ADMIN", nil},
		{"admin", "MEMBER", nil},
		{"owner", "OWNER", workspace.ErrKeyOwner},
		{"admin", "OWNER", workspace.ErrKeyOwner},
		{"owner", "KING", workspace.ErrInvalidRole},
		{"member", "VIEWER", workspace.ErrForbidden},
		{"viewer", "VIEWER", workspace.ErrForbidden},
		{"outsider", "VIEWER", workspace.ErrWorkspaceNotFound},
		{authz.KeyActor("k"), "VIEWER", workspace.ErrForbidden},
	} {
		if err := az.AuthorizeKeyRole(ctx, wid, tc.user, tc.role); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("%s giving %s: %v, want %v", tc.user, tc.role, err, tc.want)
		}
	}
}
