package workspace_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/modules/workspace/memory"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

var ctx = context.Background()

// directory is an in-memory UserDirectory.
type directory struct {
	mu    sync.Mutex
	users map[string]workspace.UserInfo // by id
}

func (d *directory) add(id, email string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[id] = workspace.UserInfo{ID: id, Email: email, DisplayName: "Name of " + id}
}

func (d *directory) UserByEmail(_ context.Context, email string) (workspace.UserInfo, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range d.users {
		if u.Email == email {
			return u, true, nil
		}
	}
	return workspace.UserInfo{}, false, nil
}

func (d *directory) UsersByIDs(_ context.Context, ids []string) ([]workspace.UserInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []workspace.UserInfo
	for _, id := range ids {
		if u, ok := d.users[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

type fixture struct {
	svc    *workspace.Service
	store  *memory.Store
	dir    *directory
	events *events.Recorder
	clock  *clock.Manual
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		store:  memory.NewStore(),
		dir:    &directory{users: map[string]workspace.UserInfo{}},
		events: &events.Recorder{},
		clock:  clock.NewManual(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)),
	}
	svc, err := workspace.NewService(workspace.Deps{
		Repo: f.store, Users: f.dir, Events: f.events, Clock: f.clock,
		Log: slog.New(slog.DiscardHandler), InvitationTTL: 7 * 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// team creates a workspace owned by "owner" with one registered member per other role.
func (f *fixture) team(t *testing.T) string {
	t.Helper()
	for _, u := range []string{"owner", "admin", "member", "viewer", "outsider"} {
		f.dir.add(u, u+"@example.com")
	}
	v, err := f.svc.Create(ctx, "owner", "Team")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"ADMIN", "MEMBER", "VIEWER"} {
		user := map[string]string{"ADMIN": "admin", "MEMBER": "member", "VIEWER": "viewer"}[r]
		if _, err := f.svc.Invite(ctx, "owner", v.ID, workspace.InviteInput{Email: user + "@example.com", Role: r}); err != nil {
			t.Fatal(err)
		}
	}
	return v.ID
}

func TestCreateGetRenameDelete(t *testing.T) {
	f := newFixture(t)
	v, err := f.svc.Create(ctx, "u1", "  Launch  ")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "Launch" || v.Role != workspace.Owner || v.CreatedBy != "u1" {
		t.Fatalf("created %+v", v)
	}
	got, err := f.svc.Get(ctx, "u1", v.ID)
	if err != nil || got.ID != v.ID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if _, err := f.svc.Get(ctx, "stranger", v.ID); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("non-member get: %v, want not found", err)
	}
	f.clock.Advance(time.Minute)
	r, err := f.svc.Rename(ctx, "u1", v.ID, "Renamed")
	if err != nil || r.Name != "Renamed" || !r.UpdatedAt.After(r.CreatedAt) {
		t.Fatalf("rename = %+v, %v", r, err)
	}
	if err := f.svc.Delete(ctx, "u1", v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, "u1", v.ID); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("deleted workspace still readable: %v", err)
	}
	want := []events.Name{events.WorkspaceCreated, events.WorkspaceUpdated, events.WorkspaceDeleted}
	if got := f.events.Names(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestNameValidation(t *testing.T) {
	f := newFixture(t)
	for _, bad := range []string{"", "   ", string(make([]rune, 101)), "a\nb"} {
		if _, err := f.svc.Create(ctx, "u1", bad); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("Create(%q) err = %v, want invalid", bad, err)
		}
	}
	if len(f.events.Events()) != 0 {
		t.Fatal("a rejected create published an event")
	}
}

func TestListMine(t *testing.T) {
	f := newFixture(t)
	var created []string
	for i := range 5 {
		v, err := f.svc.Create(ctx, "u1", fmt.Sprint("ws", i))
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, v.ID)
	}
	if _, err := f.svc.Create(ctx, "u2", "not mine"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		p, err := f.svc.List(ctx, "u1", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range p.Items {
			if v.Role != workspace.Owner || seen[v.ID] {
				t.Fatalf("bad or repeated item %+v", v)
			}
			seen[v.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("saw %d workspaces in %d pages", len(seen), pages)
	}
	for _, id := range created {
		if !seen[id] {
			t.Fatalf("workspace %s was created by u1 but not listed", id)
		}
	}
	if _, err := f.svc.List(ctx, "u1", "garbage!", 2); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestAuthorizeRowByRow checks Authorize (the port other modules use) for every role and action.
func TestAuthorizeRowByRow(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	for _, action := range authz.Actions() {
		for _, user := range []string{"owner", "admin", "member", "viewer"} {
			role, err := f.svc.RoleOf(ctx, wid, user)
			if err != nil {
				t.Fatal(err)
			}
			err = f.svc.Authorize(ctx, wid, user, action)
			switch {
			case role.Can(action) && err != nil:
				t.Errorf("%s may %s but got %v", user, action, err)
			case !role.Can(action) && !errors.Is(err, workspace.ErrForbidden):
				t.Errorf("%s may not %s but got %v", user, action, err)
			}
		}
		if err := f.svc.Authorize(ctx, wid, "outsider", action); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
			t.Errorf("outsider %s: %v, want not found", action, err)
		}
	}
}

func TestRoleManagementRules(t *testing.T) {
	cases := []struct {
		name         string
		actor        string
		target, role string
		want         error
	}{
		{"owner promotes member to admin", "owner", "member", "ADMIN", nil},
		{"owner makes another owner", "owner", "admin", "OWNER", nil},
		{"admin demotes member to viewer", "admin", "member", "VIEWER", nil},
		{"admin promotes viewer to member", "admin", "viewer", "MEMBER", nil},
		{"admin cannot grant admin", "admin", "member", "ADMIN", workspace.ErrRankTooLow},
		{"admin cannot grant owner", "admin", "viewer", "OWNER", workspace.ErrRankTooLow},
		{"admin cannot touch owner", "admin", "owner", "MEMBER", workspace.ErrRankTooLow},
		{"member cannot manage", "member", "viewer", "MEMBER", workspace.ErrForbidden},
		{"viewer cannot manage", "viewer", "member", "VIEWER", workspace.ErrForbidden},
		{"nobody changes own role", "admin", "admin", "MEMBER", workspace.ErrOwnRole},
		{"owner cannot change own role", "owner", "owner", "ADMIN", workspace.ErrOwnRole},
		{"unknown target", "owner", "nobody", "MEMBER", workspace.ErrMemberNotFound},
		{"outsider", "outsider", "member", "VIEWER", workspace.ErrWorkspaceNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			wid := f.team(t)
			before := len(f.events.Events())
			v, err := f.svc.ChangeRole(ctx, tc.actor, wid, tc.target, tc.role)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if len(f.events.Events()) != before {
					t.Fatal("a refused change published an event")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(v.Role) != tc.role || v.UserID != tc.target || v.Email != tc.target+"@example.com" {
				t.Fatalf("view = %+v", v)
			}
			if role, _ := f.svc.RoleOf(ctx, wid, tc.target); string(role) != tc.role {
				t.Fatalf("stored role %s", role)
			}
			if evs := f.events.Events(); evs[len(evs)-1].Name != events.MemberUpdated {
				t.Fatalf("last event %v", evs[len(evs)-1].Name)
			}
		})
	}
}

func TestLastOwnerRule(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	// The only owner can neither leave nor be demoted/removed by anyone.
	if err := f.svc.RemoveMember(ctx, "owner", wid, "owner"); !errors.Is(err, workspace.ErrLastOwner) {
		t.Fatalf("last owner leaving: %v", err)
	}
	// Two owners: one may be demoted, then the other is last again.
	if _, err := f.svc.ChangeRole(ctx, "owner", wid, "admin", "OWNER"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ChangeRole(ctx, "admin", wid, "owner", "MEMBER"); err != nil {
		t.Fatalf("demoting one of two owners: %v", err)
	}
	if err := f.svc.RemoveMember(ctx, "admin", wid, "admin"); !errors.Is(err, workspace.ErrLastOwner) {
		t.Fatalf("remaining owner leaving: %v", err)
	}
	// Now "owner" is a MEMBER and cannot manage; the promoted admin is the only owner.
	if role, _ := f.svc.RoleOf(ctx, wid, "admin"); role != workspace.Owner {
		t.Fatalf("role = %s", role)
	}
}

func TestConcurrentOwnerDemotionsKeepOneOwner(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	if _, err := f.svc.ChangeRole(ctx, "owner", wid, "admin", "OWNER"); err != nil {
		t.Fatal(err)
	}
	// Two owners demote each other at the same moment: at most one may succeed.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = f.svc.ChangeRole(ctx, "owner", wid, "admin", "MEMBER") })
	wg.Go(func() { _, errs[1] = f.svc.ChangeRole(ctx, "admin", wid, "owner", "MEMBER") })
	wg.Wait()
	owners := 0
	for _, u := range []string{"owner", "admin"} {
		if r, _ := f.svc.RoleOf(ctx, wid, u); r == workspace.Owner {
			owners++
		}
	}
	if owners < 1 {
		t.Fatalf("no owner left (errors %v)", errs)
	}
}

func TestRemoveAndLeave(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	if err := f.svc.RemoveMember(ctx, "member", wid, "viewer"); !errors.Is(err, workspace.ErrForbidden) {
		t.Fatalf("member removing viewer: %v", err)
	}
	if err := f.svc.RemoveMember(ctx, "admin", wid, "owner"); !errors.Is(err, workspace.ErrRankTooLow) {
		t.Fatalf("admin removing owner: %v", err)
	}
	if err := f.svc.RemoveMember(ctx, "admin", wid, "member"); err != nil {
		t.Fatalf("admin removing member: %v", err)
	}
	if err := f.svc.RemoveMember(ctx, "viewer", wid, "viewer"); err != nil {
		t.Fatalf("viewer leaving: %v", err)
	}
	if _, err := f.svc.Get(ctx, "viewer", wid); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("after leaving: %v", err)
	}
	evs := f.events.Events()
	last := evs[len(evs)-1]
	if last.Name != events.MemberRemoved || last.Data["left"] != true || last.TargetID != "viewer" {
		t.Fatalf("last event %+v", last)
	}
}

func TestInviteRegisteredAndUnregistered(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	v, err := f.svc.Invite(ctx, "admin", wid, workspace.InviteInput{Email: "OUTSIDER@example.com", Role: "MEMBER"})
	if err != nil || v.Status != workspace.Active || v.UserID != "outsider" {
		t.Fatalf("invite registered = %+v, %v", v, err)
	}
	if _, err := f.svc.Invite(ctx, "admin", wid, workspace.InviteInput{Email: "outsider@example.com", Role: "VIEWER"}); !errors.Is(err, workspace.ErrAlreadyMember) {
		t.Fatalf("inviting a member again: %v", err)
	}
	inv, err := f.svc.Invite(ctx, "admin", wid, workspace.InviteInput{Email: "new@example.com", Role: "VIEWER"})
	if err != nil || inv.Status != workspace.Invited || inv.InvitationID == "" || !inv.ExpiresAt.Equal(f.clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("invite unregistered = %+v, %v", inv, err)
	}
	if _, err := f.svc.Invite(ctx, "admin", wid, workspace.InviteInput{Email: "new@example.com", Role: "VIEWER"}); !errors.Is(err, workspace.ErrAlreadyInvited) {
		t.Fatalf("second invitation: %v", err)
	}
	for name, in := range map[string]workspace.InviteInput{
		"bad email": {Email: "nope", Role: "MEMBER"},
		"bad role":  {Email: "x@example.com", Role: "KING"},
	} {
		if _, err := f.svc.Invite(ctx, "admin", wid, in); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := f.svc.Invite(ctx, "admin", wid, workspace.InviteInput{Email: "y@example.com", Role: "ADMIN"}); !errors.Is(err, workspace.ErrRankTooLow) {
		t.Errorf("admin inviting an admin: %v", err)
	}
	if _, err := f.svc.Invite(ctx, "member", wid, workspace.InviteInput{Email: "y@example.com", Role: "VIEWER"}); !errors.Is(err, workspace.ErrForbidden) {
		t.Errorf("member inviting: %v", err)
	}

	// Registration turns the invitation into a membership with the invited role.
	f.dir.add("newbie", "new@example.com")
	if err := f.svc.UserRegistered(ctx, "newbie", "new@example.com"); err != nil {
		t.Fatal(err)
	}
	if role, err := f.svc.RoleOf(ctx, wid, "newbie"); err != nil || role != workspace.Viewer {
		t.Fatalf("after registering: %s, %v", role, err)
	}
	evs := f.events.Events()
	if last := evs[len(evs)-1]; last.Name != events.MemberJoined || last.ActorID != "newbie" {
		t.Fatalf("last event %+v", last)
	}
	p, _ := f.svc.Members(ctx, "viewer", wid, "", 50)
	for _, m := range p.Items {
		if m.Status == workspace.Invited {
			t.Fatalf("accepted invitation still listed: %+v", m)
		}
	}
}

func TestInvitationExpiryAndRevocation(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t)
	inv, err := f.svc.Invite(ctx, "owner", wid, workspace.InviteInput{Email: "late@example.com", Role: "MEMBER"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(7*24*time.Hour + time.Second)
	p, _ := f.svc.Members(ctx, "owner", wid, "", 50)
	for _, m := range p.Items {
		if m.InvitationID == inv.InvitationID {
			t.Fatal("expired invitation listed")
		}
	}
	if err := f.svc.UserRegistered(ctx, "late", "late@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RoleOf(ctx, wid, "late"); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("expired invitation accepted: %v", err)
	}
	// Re-inviting after expiry works; revoking removes it.
	again, err := f.svc.Invite(ctx, "owner", wid, workspace.InviteInput{Email: "later@example.com", Role: "MEMBER"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeInvitation(ctx, "member", wid, again.InvitationID); !errors.Is(err, workspace.ErrForbidden) {
		t.Fatalf("member revoking: %v", err)
	}
	if err := f.svc.RevokeInvitation(ctx, "admin", wid, again.InvitationID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeInvitation(ctx, "admin", wid, again.InvitationID); !errors.Is(err, workspace.ErrInvitationNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	if err := f.svc.UserRegistered(ctx, "later", "later@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RoleOf(ctx, wid, "later"); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatal("revoked invitation accepted")
	}
}

func TestMembersPagesThroughMembersThenInvitations(t *testing.T) {
	f := newFixture(t)
	wid := f.team(t) // 4 members
	for i := range 3 {
		if _, err := f.svc.Invite(ctx, "owner", wid, workspace.InviteInput{Email: fmt.Sprintf("p%d@example.com", i), Role: "VIEWER"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{1, 2, 3, 4, 7, 50} {
		var active, invited int
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			p, err := f.svc.Members(ctx, "viewer", wid, cursor, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > limit {
				t.Fatalf("page of %d items with limit %d", len(p.Items), limit)
			}
			for _, m := range p.Items {
				switch m.Status {
				case workspace.Active:
					if invited > 0 {
						t.Fatal("member listed after invitations")
					}
					if m.Email == "" || m.DisplayName == "" {
						t.Fatalf("member without name: %+v", m)
					}
					active++
				case workspace.Invited:
					invited++
				}
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if active != 4 || invited != 3 {
			t.Fatalf("limit %d: %d active, %d invited; want 4 and 3", limit, active, invited)
		}
	}
	if _, err := f.svc.Members(ctx, "outsider", wid, "", 10); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("outsider listing members: %v", err)
	}
}

// purges records which workspaces' content it was asked to remove.
type purges struct{ got []string }

func (p *purges) PurgeWorkspace(_ context.Context, wid string) error {
	p.got = append(p.got, wid)
	return nil
}

// Deleting a workspace purges its content in the other modules, once it is deleted; a refused
// deletion purges nothing.
func TestDeletePurgesContent(t *testing.T) {
	f := newFixture(t)
	p := &purges{}
	svc, err := workspace.NewService(workspace.Deps{
		Repo: f.store, Users: f.dir, Purger: p, Events: f.events, Clock: f.clock,
		Log: slog.New(slog.DiscardHandler), InvitationTTL: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.Create(ctx, "u1", "Doomed")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, "stranger", v.ID); err == nil || len(p.got) != 0 {
		t.Fatalf("a stranger's delete: %v, purged %v", err, p.got)
	}
	if err := svc.Delete(ctx, "u1", v.ID); err != nil {
		t.Fatal(err)
	}
	if len(p.got) != 1 || p.got[0] != v.ID {
		t.Fatalf("purged %v, want [%s]", p.got, v.ID)
	}
}
