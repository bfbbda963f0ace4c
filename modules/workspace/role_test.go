package workspace

import (
	"testing"

	"github.com/workspaceops/workspaceops/platform/authz"
)

// TestPermissionTable checks the table row by row: the lowest role allowed each action.
func TestPermissionTable(t *testing.T) {
	want := map[authz.Action]map[Role]bool{
		authz.WorkspaceRead:   {Viewer: true, Member: true, Admin: true, Owner: true},
		authz.WorkspaceUpdate: {Viewer: false, Member: false, Admin: true, Owner: true},
		authz.WorkspaceDelete: {Viewer: false, Member: false, Admin: false, Owner: true},
		authz.MemberManage:    {Viewer: false, Member: false, Admin: true, Owner: true},
		authz.WorkItemRead:    {Viewer: true, Member: true, Admin: true, Owner: true},
		authz.WorkItemWrite:   {Viewer: false, Member: true, Admin: true, Owner: true},
		authz.WorkItemDelete:  {Viewer: false, Member: true, Admin: true, Owner: true},
		authz.DocumentRead:    {Viewer: true, Member: true, Admin: true, Owner: true},
		authz.DocumentUpload:  {Viewer: false, Member: true, Admin: true, Owner: true},
		authz.DocumentDelete:  {Viewer: false, Member: false, Admin: true, Owner: true},
		authz.AuditLogRead:    {Viewer: true, Member: true, Admin: true, Owner: true},
		authz.APIKeyManage:    {Viewer: false, Member: false, Admin: true, Owner: true},
		authz.WebhookManage:   {Viewer: false, Member: false, Admin: true, Owner: true},
	}
	for _, action := range authz.Actions() {
		row, ok := want[action]
		if !ok {
			t.Errorf("action %s has no expected row in this test", action)
			continue
		}
		if _, ok := permissions[action]; !ok {
			t.Errorf("action %s has no row in the permission table", action)
		}
		for role, allowed := range row {
			if got := role.Can(action); got != allowed {
				t.Errorf("%s.Can(%s) = %v, want %v", role, action, got, allowed)
			}
		}
	}
	if Role("GUEST").Can(authz.WorkspaceRead) || Owner.Can("unknown.action") {
		t.Error("unknown role or action allowed")
	}
}

func TestRankRules(t *testing.T) {
	roles := []Role{Viewer, Member, Admin, Owner}
	for _, actor := range roles {
		for _, other := range roles {
			wantManage := actor == Owner || (actor == Admin && other.rank() < Admin.rank())
			if got := canManage(actor, other); got != wantManage {
				t.Errorf("canManage(%s, %s) = %v, want %v", actor, other, got, wantManage)
			}
			if got := canGrant(actor, other); got != wantManage {
				t.Errorf("canGrant(%s, %s) = %v, want %v", actor, other, got, wantManage)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range []string{"OWNER", "ADMIN", "MEMBER", "VIEWER"} {
		if got, err := ParseRole(r); err != nil || string(got) != r {
			t.Errorf("ParseRole(%q) = %v, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "owner", "ROOT", `{"$ne":""}`} {
		if _, err := ParseRole(bad); err == nil {
			t.Errorf("ParseRole(%q) accepted", bad)
		}
	}
}
