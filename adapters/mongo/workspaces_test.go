package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/modules/workspace/workspacetest"
	"github.com/workspaceops/workspaceops/platform/ids"
)

func TestWorkspacesContract(t *testing.T) {
	workspacetest.RepositoryContract(t, func(t *testing.T) workspace.Repository {
		return mongo.NewWorkspaces(indexedDatabase(t))
	})
}

var t0 = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

func createWorkspace(t *testing.T, repo *mongo.Workspaces) workspace.Workspace {
	t.Helper()
	w := workspace.Workspace{ID: ids.New(), Name: "Team", CreatedBy: ids.New(), CreatedAt: t0, UpdatedAt: t0, OwnerCount: 1}
	owner := workspace.Membership{WorkspaceID: w.ID, UserID: w.CreatedBy, Role: workspace.Owner, JoinedAt: t0}
	if err := repo.CreateWorkspace(context.Background(), w, owner); err != nil {
		t.Fatal(err)
	}
	return w
}

// On the embedded store an update rewrites the whole document from a possibly stale read, so
// without the per-document lock a rename can undo a concurrent owner-count change.
func TestConcurrentRenamesDoNotLoseOwnerCounts(t *testing.T) {
	ctx := context.Background()
	repo := mongo.NewWorkspaces(indexedDatabase(t))
	w := createWorkspace(t, repo)
	const n = 6
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- repo.AddOwners(ctx, w.ID, 1) })
		wg.Go(func() {
			_, err := repo.RenameWorkspace(ctx, w.ID, fmt.Sprint("name ", i), t0.Add(time.Minute))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := repo.Workspace(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OwnerCount != 1+n {
		t.Fatalf("owner count %d after %d increments from 1", got.OwnerCount, n)
	}
}

// Only one of several concurrent role changes from the same expected role may win.
func TestConcurrentSetRoleHasOneWinner(t *testing.T) {
	ctx := context.Background()
	repo := mongo.NewWorkspaces(indexedDatabase(t))
	w := createWorkspace(t, repo)
	uid := ids.New()
	if err := repo.AddMember(ctx, workspace.Membership{WorkspaceID: w.ID, UserID: uid, Role: workspace.Member, JoinedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		to := workspace.Admin
		if i%2 == 1 {
			to = workspace.Viewer
		}
		wg.Go(func() { _, errs[i] = repo.SetRole(ctx, w.ID, uid, workspace.Member, to) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, workspace.ErrConcurrentUpdate):
			t.Fatalf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d role changes from MEMBER succeeded, want 1", ok)
	}
}

// A membership's _id joins the two ids with ':'; an id containing one must not reach another
// membership through that key.
func TestMemberKeyCannotBeForged(t *testing.T) {
	ctx := context.Background()
	repo := mongo.NewWorkspaces(indexedDatabase(t))
	w := workspace.Workspace{ID: "a:b", Name: "Forged", CreatedBy: "c", CreatedAt: t0, UpdatedAt: t0, OwnerCount: 1}
	if err := repo.CreateWorkspace(ctx, w, workspace.Membership{WorkspaceID: "a:b", UserID: "c", Role: workspace.Owner, JoinedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Member(ctx, "a", "b:c"); !errors.Is(err, workspace.ErrMemberNotFound) {
		t.Fatalf("Member(a, b:c) = %v, want ErrMemberNotFound", err)
	}
	if err := repo.RemoveMember(ctx, "a", "b:c", workspace.Owner); !errors.Is(err, workspace.ErrMemberNotFound) {
		t.Fatalf("RemoveMember(a, b:c) = %v, want ErrMemberNotFound", err)
	}
	if _, err := repo.Member(ctx, "a:b", "c"); err != nil {
		t.Fatalf("the real membership: %v", err)
	}
}

// A crash between DeleteWorkspace's steps leaves memberships behind; a retry, which finds no
// workspace, must still sweep them.
func TestDeleteWorkspaceRetrySweepsLeftovers(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	repo := mongo.NewWorkspaces(db)
	wid, uid := ids.New(), ids.New()
	w := workspace.Workspace{ID: wid, Name: "Crashed", CreatedBy: uid, CreatedAt: t0, UpdatedAt: t0, OwnerCount: 1}
	if err := repo.CreateWorkspace(ctx, w, workspace.Membership{WorkspaceID: wid, UserID: uid, Role: workspace.Owner, JoinedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// The state a crash after the first step leaves: the workspace gone, its membership not.
	if _, err := db.Collection("workspaces").DeleteOne(ctx, bson.D{{Key: "_id", Value: wid}}); err != nil {
		t.Fatal(err)
	}
	if err := repo.DeleteWorkspace(ctx, wid); !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		t.Fatalf("DeleteWorkspace = %v, want ErrWorkspaceNotFound", err)
	}
	if _, err := repo.Member(ctx, wid, uid); !errors.Is(err, workspace.ErrMemberNotFound) {
		t.Fatalf("leftover membership: %v", err)
	}
}

// MongoDB reads a limit of 0 as "no limit"; the adapter must not.
func TestListsWithZeroLimitAreEmpty(t *testing.T) {
	ctx := context.Background()
	repo := mongo.NewWorkspaces(indexedDatabase(t))
	w := createWorkspace(t, repo)
	if ms, err := repo.Members(ctx, w.ID, "", 0); err != nil || len(ms) != 0 {
		t.Fatalf("Members limit 0 = %v, %v", ms, err)
	}
	if ms, err := repo.MembershipsOf(ctx, w.CreatedBy, "", 0); err != nil || len(ms) != 0 {
		t.Fatalf("MembershipsOf limit 0 = %v, %v", ms, err)
	}
	if invs, err := repo.PendingInvitations(ctx, w.ID, "", t0, 0); err != nil || len(invs) != 0 {
		t.Fatalf("PendingInvitations limit 0 = %v, %v", invs, err)
	}
}
