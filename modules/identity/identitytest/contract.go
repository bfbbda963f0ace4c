// Package identitytest holds the contract every identity.Repository implementation must meet,
// run against the in-memory store and the MongoDB adapter alike.
package identitytest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) identity.Repository) {
	ctx := context.Background()
	user := func(email string) identity.User {
		return identity.User{
			ID: ids.New(), Email: email, DisplayName: "Ada", PasswordHash: "hash",
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}
	}

	t.Run("create then find by id and email", func(t *testing.T) {
		repo := newRepo(t)
		u := user("ada@example.com")
		if err := repo.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		for name, find := range map[string]func() (identity.User, error){
			"id":    func() (identity.User, error) { return repo.ByID(ctx, u.ID) },
			"email": func() (identity.User, error) { return repo.ByEmail(ctx, u.Email) },
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("by %s: %v", name, err)
			}
			if got != u {
				t.Fatalf("by %s: got %+v, want %+v", name, got, u)
			}
		}
	})

	t.Run("unknown user is ErrUserNotFound", func(t *testing.T) {
		repo := newRepo(t)
		if _, err := repo.ByID(ctx, ids.New()); !errors.Is(err, identity.ErrUserNotFound) {
			t.Errorf("ByID: %v", err)
		}
		if _, err := repo.ByEmail(ctx, "nobody@example.com"); !errors.Is(err, identity.ErrUserNotFound) {
			t.Errorf("ByEmail: %v", err)
		}
	})

	t.Run("email is unique even under concurrent registrations", func(t *testing.T) {
		repo := newRepo(t)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = repo.Create(ctx, user("same@example.com")) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, identity.ErrEmailTaken):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d registrations succeeded, want exactly 1", ok)
		}
	})

	t.Run("ByIDs returns the existing ones", func(t *testing.T) {
		repo := newRepo(t)
		a, b := user("a@example.com"), user("b@example.com")
		for _, u := range []identity.User{a, b} {
			if err := repo.Create(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		got, err := repo.ByIDs(ctx, []string{a.ID, ids.New(), b.ID, a.ID})
		if err != nil {
			t.Fatal(err)
		}
		var emails []string
		for _, u := range got {
			emails = append(emails, u.Email)
		}
		sort.Strings(emails)
		if len(emails) != 2 || emails[0] != "a@example.com" || emails[1] != "b@example.com" {
			t.Fatalf("got %v", emails)
		}
	})

	t.Run("RevokeTokens raises the generation once per call, atomically, and sets a new hash", func(t *testing.T) {
		repo := newRepo(t)
		u := user("gen@example.com")
		if err := repo.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := repo.RevokeTokens(ctx, u.ID, "")
		if err != nil || got.TokenGeneration != 1 || got.PasswordHash != "hash" {
			t.Fatalf("RevokeTokens without a hash = %+v, %v; want generation 1, hash kept", got, err)
		}
		const n = 8
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := repo.RevokeTokens(ctx, u.ID, ""); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got, err = repo.RevokeTokens(ctx, u.ID, "new-hash"); err != nil || got.TokenGeneration != n+2 || got.PasswordHash != "new-hash" {
			t.Fatalf("after %d concurrent revocations = %+v, %v; want generation %d and the new hash", n, got, err, n+2)
		}
		if stored, err := repo.ByEmail(ctx, u.Email); err != nil || stored.TokenGeneration != n+2 || stored.PasswordHash != "new-hash" {
			t.Fatalf("stored = %+v, %v", stored, err)
		}
		if _, err := repo.RevokeTokens(ctx, ids.New(), ""); !errors.Is(err, identity.ErrUserNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}
