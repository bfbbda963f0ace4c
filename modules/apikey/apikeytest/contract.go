// Package apikeytest holds the contract every apikey.Repository implementation must meet, run
// against the in-memory store, SQLite and MongoDB alike.
package apikeytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) apikey.Repository) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key := func(wid string) apikey.Key {
		id := ids.New()
		exp := at.Add(24 * time.Hour)
		return apikey.Key{ID: id, WorkspaceID: wid, Name: "ci " + id[18:], Role: "MEMBER", Prefix: "wso_abcdefgh",
			Hash: "hash-" + id, CreatedBy: ids.New(), CreatedAt: at, ExpiresAt: &exp}
	}

	t.Run("create then find by id and by hash", func(t *testing.T) {
		repo := newRepo(t)
		k := key(ids.New())
		if err := repo.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		for name, find := range map[string]func() (apikey.Key, error){
			"id":   func() (apikey.Key, error) { return repo.ByID(ctx, k.ID) },
			"hash": func() (apikey.Key, error) { return repo.ByHash(ctx, k.Hash) },
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("by %s: %v", name, err)
			}
			if got.ID != k.ID || got.WorkspaceID != k.WorkspaceID || got.Name != k.Name || got.Role != k.Role ||
				got.Prefix != k.Prefix || got.Hash != k.Hash || got.CreatedBy != k.CreatedBy || !got.CreatedAt.Equal(k.CreatedAt) ||
				got.ExpiresAt == nil || !got.ExpiresAt.Equal(*k.ExpiresAt) || got.LastUsedAt != nil {
				t.Fatalf("by %s: got %+v, want %+v", name, got, k)
			}
		}
		if _, err := repo.ByID(ctx, ids.New()); !errors.Is(err, apikey.ErrKeyNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		if _, err := repo.ByHash(ctx, "nope"); !errors.Is(err, apikey.ErrKeyNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
	})

	t.Run("a key without expiry reads back without one", func(t *testing.T) {
		repo := newRepo(t)
		k := key(ids.New())
		k.ExpiresAt = nil
		if err := repo.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		if got, err := repo.ByID(ctx, k.ID); err != nil || got.ExpiresAt != nil {
			t.Fatalf("%+v, %v", got, err)
		}
	})

	t.Run("the database refuses a second key with the same hash, also when racing", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		var created atomic.Int32
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				k := key(wid)
				k.Hash = "same"
				err := repo.Create(ctx, k)
				switch {
				case err == nil:
					created.Add(1)
				case !errors.Is(err, apikey.ErrKeyExists):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := created.Load(); n != 1 {
			t.Fatalf("%d keys created with one hash", n)
		}
	})

	t.Run("list pages by id within a workspace, count", func(t *testing.T) {
		repo := newRepo(t)
		wid, other := ids.New(), ids.New()
		var want []string
		for range 5 {
			k := key(wid)
			if err := repo.Create(ctx, k); err != nil {
				t.Fatal(err)
			}
			want = append(want, k.ID)
		}
		if err := repo.Create(ctx, key(other)); err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for {
			ks, err := repo.List(ctx, wid, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(ks) > 2 {
				t.Fatalf("page of %d over limit 2", len(ks))
			}
			for _, k := range ks {
				got = append(got, k.ID)
			}
			if len(ks) < 2 {
				break
			}
			after = ks[len(ks)-1].ID
		}
		if fmt.Sprint(got) != fmt.Sprint(sortedCopy(want)) {
			t.Fatalf("listed %v, want %v", got, sortedCopy(want))
		}
		if n, err := repo.Count(ctx, wid); err != nil || n != 5 {
			t.Fatalf("count = %d, %v", n, err)
		}
	})

	t.Run("delete removes the key from every lookup, only in its workspace", func(t *testing.T) {
		repo := newRepo(t)
		k := key(ids.New())
		if err := repo.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Delete(ctx, ids.New(), k.ID); !errors.Is(err, apikey.ErrKeyNotFound) {
			t.Fatalf("delete from another workspace: %v", err)
		}
		got, err := repo.Delete(ctx, k.WorkspaceID, k.ID)
		if err != nil || got.ID != k.ID || got.Name != k.Name {
			t.Fatalf("delete = %+v, %v", got, err)
		}
		if _, err := repo.ByHash(ctx, k.Hash); !errors.Is(err, apikey.ErrKeyNotFound) {
			t.Fatalf("by hash after delete: %v", err)
		}
		if _, err := repo.ByID(ctx, k.ID); !errors.Is(err, apikey.ErrKeyNotFound) {
			t.Fatalf("by id after delete: %v", err)
		}
		if _, err := repo.Delete(ctx, k.WorkspaceID, k.ID); !errors.Is(err, apikey.ErrKeyNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if n, err := repo.Count(ctx, k.WorkspaceID); err != nil || n != 0 {
			t.Fatalf("count after delete = %d, %v", n, err)
		}
	})

	t.Run("touch writes the last use once per interval", func(t *testing.T) {
		repo := newRepo(t)
		k := key(ids.New())
		if err := repo.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		t1 := at.Add(time.Hour)
		if err := repo.Touch(ctx, k.ID, t1, t1.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		// Within the interval: the stored one is after notBefore, nothing changes.
		t2 := t1.Add(30 * time.Second)
		if err := repo.Touch(ctx, k.ID, t2, t2.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, err := repo.ByID(ctx, k.ID); err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t1) {
			t.Fatalf("after touches within a minute: %+v, %v", got.LastUsedAt, err)
		}
		t3 := t1.Add(2 * time.Minute)
		if err := repo.Touch(ctx, k.ID, t3, t3.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, err := repo.ByID(ctx, k.ID); err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t3) {
			t.Fatalf("after a touch two minutes later: %+v, %v", got.LastUsedAt, err)
		}
		if err := repo.Touch(ctx, ids.New(), t3, t3); err != nil {
			t.Fatalf("touching a missing key: %v", err)
		}
	})
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
