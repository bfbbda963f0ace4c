// Package workspacetest holds the contract every workspace.Repository implementation must meet,
// run against the in-memory store and the MongoDB adapter alike.
package workspacetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/ids"
)

var (
	ctx = context.Background()
	// Millisecond precision: what MongoDB stores.
	t0 = time.Date(2026, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
)

func newWorkspace(t *testing.T, repo workspace.Repository, ownerID string) workspace.Workspace {
	t.Helper()
	w := workspace.Workspace{ID: ids.New(), Name: "Team", CreatedBy: ownerID, CreatedAt: t0, UpdatedAt: t0, OwnerCount: 1}
	if err := repo.CreateWorkspace(ctx, w, workspace.Membership{WorkspaceID: w.ID, UserID: ownerID, Role: workspace.Owner, JoinedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return w
}

func sameWorkspace(t *testing.T, got, want workspace.Workspace) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.CreatedBy != want.CreatedBy || got.OwnerCount != want.OwnerCount ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("workspace = %+v, want %+v", got, want)
	}
}

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) workspace.Repository) {
	t.Run("no membership or invitation outlives its workspace", func(t *testing.T) { deletionRacesAccess(t, newRepo) })
	t.Run("workspace lifecycle", func(t *testing.T) {
		repo := newRepo(t)
		owner := ids.New()
		w := newWorkspace(t, repo, owner)
		got, err := repo.Workspace(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameWorkspace(t, got, w)
		m, err := repo.Member(ctx, w.ID, owner)
		if err != nil || m.Role != workspace.Owner || !m.JoinedAt.Equal(t0) {
			t.Fatalf("owner membership = %+v, %v", m, err)
		}
		renamed, err := repo.RenameWorkspace(ctx, w.ID, "New name", t0.Add(time.Hour))
		if err != nil || renamed.Name != "New name" || !renamed.UpdatedAt.Equal(t0.Add(time.Hour)) || !renamed.CreatedAt.Equal(t0) {
			t.Fatalf("rename = %+v, %v", renamed, err)
		}
		other := newWorkspace(t, repo, owner)
		list, err := repo.WorkspacesByIDs(ctx, []string{w.ID, ids.New(), other.ID})
		if err != nil || len(list) != 2 {
			t.Fatalf("WorkspacesByIDs = %v, %v", list, err)
		}
		if err := repo.CreateInvitation(ctx, invitation(w.ID, "x@example.com", t0.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if err := repo.DeleteWorkspace(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Workspace(ctx, w.ID); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
			t.Fatalf("deleted workspace: %v", err)
		}
		if _, err := repo.Member(ctx, w.ID, owner); !errors.Is(err, workspace.ErrMemberNotFound) {
			t.Fatalf("membership of deleted workspace: %v", err)
		}
		if invs, _ := repo.InvitationsFor(ctx, "x@example.com"); len(invs) != 0 {
			t.Fatalf("invitations of deleted workspace survive: %v", invs)
		}
		if ms, _ := repo.MembershipsOf(ctx, owner, "", 10); len(ms) != 1 || ms[0].WorkspaceID != other.ID {
			t.Fatalf("memberships after delete = %v", ms)
		}
	})

	t.Run("missing workspace", func(t *testing.T) {
		repo := newRepo(t)
		if _, err := repo.Workspace(ctx, ids.New()); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
			t.Errorf("Workspace: %v", err)
		}
		if _, err := repo.RenameWorkspace(ctx, ids.New(), "x", t0); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
			t.Errorf("Rename: %v", err)
		}
		if err := repo.AddOwners(ctx, ids.New(), 1); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
			t.Errorf("AddOwners: %v", err)
		}
	})

	t.Run("owner count never drops below one, even concurrently", func(t *testing.T) {
		repo := newRepo(t)
		w := newWorkspace(t, repo, ids.New())
		if err := repo.AddOwners(ctx, w.ID, -1); !errors.Is(err, workspace.ErrLastOwner) {
			t.Fatalf("last owner: %v", err)
		}
		if err := repo.AddOwners(ctx, w.ID, 2); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = repo.AddOwners(ctx, w.ID, -1) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, workspace.ErrLastOwner) {
				t.Fatalf("unexpected: %v", err)
			}
		}
		got, _ := repo.Workspace(ctx, w.ID)
		if ok != 2 || got.OwnerCount != 1 {
			t.Fatalf("%d decrements succeeded, count %d; want 2 and 1", ok, got.OwnerCount)
		}
	})

	t.Run("membership is unique and changes by compare-and-set", func(t *testing.T) {
		repo := newRepo(t)
		w := newWorkspace(t, repo, ids.New())
		uid := ids.New()
		m := workspace.Membership{WorkspaceID: w.ID, UserID: uid, Role: workspace.Member, JoinedAt: t0}
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = repo.AddMember(ctx, m) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, workspace.ErrAlreadyMember) {
				t.Fatalf("unexpected: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d concurrent adds succeeded, want 1", ok)
		}
		if _, err := repo.SetRole(ctx, w.ID, uid, workspace.Admin, workspace.Viewer); !errors.Is(err, workspace.ErrConcurrentUpdate) {
			t.Fatalf("SetRole from a stale role: %v", err)
		}
		got, err := repo.SetRole(ctx, w.ID, uid, workspace.Member, workspace.Admin)
		if err != nil || got.Role != workspace.Admin || got.UserID != uid {
			t.Fatalf("SetRole = %+v, %v", got, err)
		}
		if err := repo.RemoveMember(ctx, w.ID, uid, workspace.Member); !errors.Is(err, workspace.ErrConcurrentUpdate) {
			t.Fatalf("RemoveMember with a stale role: %v", err)
		}
		if err := repo.RemoveMember(ctx, w.ID, uid, workspace.Admin); err != nil {
			t.Fatal(err)
		}
		if err := repo.RemoveMember(ctx, w.ID, uid, workspace.Admin); !errors.Is(err, workspace.ErrMemberNotFound) {
			t.Fatalf("second remove: %v", err)
		}
		if _, err := repo.SetRole(ctx, w.ID, uid, workspace.Admin, workspace.Viewer); !errors.Is(err, workspace.ErrMemberNotFound) {
			t.Fatalf("SetRole on a removed member: %v", err)
		}
	})

	t.Run("member lists page by key", func(t *testing.T) {
		repo := newRepo(t)
		owner := ids.New()
		w := newWorkspace(t, repo, owner)
		want := []string{owner}
		for range 4 {
			uid := ids.New()
			want = append(want, uid)
			if err := repo.AddMember(ctx, workspace.Membership{WorkspaceID: w.ID, UserID: uid, Role: workspace.Viewer, JoinedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		newWorkspace(t, repo, ids.New()) // another workspace's members stay out
		sort.Strings(want)
		var got []string
		after := ""
		for {
			ms, err := repo.Members(ctx, w.ID, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				got = append(got, m.UserID)
			}
			if len(ms) < 2 {
				break
			}
			after = ms[len(ms)-1].UserID
		}
		if len(got) != len(want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
		if n, err := repo.CountMembers(ctx, w.ID); err != nil || n != len(want) {
			t.Fatalf("CountMembers = %d, %v; want %d", n, err, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("paged %v, want %v", got, want)
			}
		}

		var wids []string
		for range 3 {
			wids = append(wids, newWorkspace(t, repo, owner).ID)
		}
		wids = append(wids, w.ID)
		sort.Strings(wids)
		ms, err := repo.MembershipsOf(ctx, owner, wids[0], 10)
		if err != nil || len(ms) != 3 || ms[0].WorkspaceID != wids[1] || ms[2].WorkspaceID != wids[3] {
			t.Fatalf("MembershipsOf = %v, %v", ms, err)
		}
	})

	t.Run("invitations", func(t *testing.T) {
		repo := newRepo(t)
		w := newWorkspace(t, repo, ids.New())
		other := newWorkspace(t, repo, ids.New())
		live := invitation(w.ID, "a@example.com", t0.Add(time.Hour))
		expired := invitation(w.ID, "b@example.com", t0.Add(-time.Second))
		elsewhere := invitation(other.ID, "a@example.com", t0.Add(time.Hour))
		for _, inv := range []workspace.Invitation{live, expired, elsewhere} {
			if err := repo.CreateInvitation(ctx, inv); err != nil {
				t.Fatal(err)
			}
		}
		if err := repo.CreateInvitation(ctx, invitation(w.ID, "a@example.com", t0.Add(time.Hour))); !errors.Is(err, workspace.ErrAlreadyInvited) {
			t.Fatalf("duplicate invitation: %v", err)
		}
		pending, err := repo.PendingInvitations(ctx, w.ID, "", t0, 10)
		if err != nil || len(pending) != 1 || pending[0].ID != live.ID || pending[0].Email != "a@example.com" ||
			pending[0].Role != workspace.Member || !pending[0].ExpiresAt.Equal(live.ExpiresAt) {
			t.Fatalf("pending = %+v, %v", pending, err)
		}
		forA, err := repo.InvitationsFor(ctx, "a@example.com")
		if err != nil || len(forA) != 2 {
			t.Fatalf("InvitationsFor = %v, %v", forA, err)
		}
		if err := repo.DeleteExpiredInvitation(ctx, w.ID, "a@example.com", t0); err != nil {
			t.Fatal(err)
		}
		if err := repo.DeleteExpiredInvitation(ctx, w.ID, "b@example.com", t0); err != nil {
			t.Fatal(err)
		}
		if err := repo.CreateInvitation(ctx, invitation(w.ID, "b@example.com", t0.Add(time.Hour))); err != nil {
			t.Fatalf("re-invite after expiry: %v", err)
		}
		if err := repo.CreateInvitation(ctx, invitation(w.ID, "a@example.com", t0.Add(time.Hour))); !errors.Is(err, workspace.ErrAlreadyInvited) {
			t.Fatalf("a live invitation was deleted as expired: %v", err)
		}
		if err := repo.DeleteInvitation(ctx, other.ID, live.ID); !errors.Is(err, workspace.ErrInvitationNotFound) {
			t.Fatalf("deleting through another workspace: %v", err)
		}
		if err := repo.DeleteInvitation(ctx, w.ID, live.ID); err != nil {
			t.Fatal(err)
		}
		if err := repo.DeleteInvitation(ctx, w.ID, live.ID); !errors.Is(err, workspace.ErrInvitationNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

// deletionRacesAccess checks that no membership or invitation outlives its workspace: adds to
// a workspace that does not exist are refused, and adds racing its deletion either fail or are
// deleted with it.
func deletionRacesAccess(t *testing.T, newRepo func(t *testing.T) workspace.Repository) {
	repo := newRepo(t)
	missing := ids.New()
	if err := repo.AddMember(ctx, workspace.Membership{WorkspaceID: missing, UserID: ids.New(), Role: workspace.Member, JoinedAt: t0}); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("membership of a missing workspace: %v", err)
	}
	if err := repo.CreateInvitation(ctx, invitation(missing, "x@example.com", t0.Add(time.Hour))); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("invitation to a missing workspace: %v", err)
	}
	for try := range 10 {
		w := newWorkspace(t, repo, ids.New())
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					err = repo.AddMember(ctx, workspace.Membership{WorkspaceID: w.ID, UserID: ids.New(), Role: workspace.Member, JoinedAt: t0})
				} else {
					err = repo.CreateInvitation(ctx, invitation(w.ID, fmt.Sprintf("u%d@example.com", i), t0.Add(time.Hour)))
				}
				if err != nil && !errors.Is(err, workspace.ErrWorkspaceNotFound) {
					t.Error(err)
				}
			})
		}
		wg.Go(func() {
			if err := repo.DeleteWorkspace(ctx, w.ID); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if ms, err := repo.Members(ctx, w.ID, "", 100); err != nil || len(ms) != 0 {
			t.Fatalf("try %d: %d memberships outlived their workspace (%v)", try, len(ms), err)
		}
		if invs, err := repo.PendingInvitations(ctx, w.ID, "", t0, 100); err != nil || len(invs) != 0 {
			t.Fatalf("try %d: %d invitations outlived their workspace (%v)", try, len(invs), err)
		}
	}
}

func invitation(wid, email string, expires time.Time) workspace.Invitation {
	return workspace.Invitation{
		ID: ids.New(), WorkspaceID: wid, Email: email, Role: workspace.Member,
		InvitedBy: "someone", CreatedAt: t0, ExpiresAt: expires,
	}
}
