// Package idempotencytest holds the contract every idempotency.Repository implementation must
// meet, run against the in-memory store, SQLite and MongoDB alike.
package idempotencytest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/idempotency"
)

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) idempotency.Repository) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	rec := func(scope, key, token string) idempotency.Record {
		return idempotency.Record{Scope: scope, Key: key, Fingerprint: "fp-" + key, Token: token,
			LockedUntil: now.Add(time.Minute), ExpiresAt: now.Add(time.Hour)}
	}

	t.Run("one claim per scope and key, also when racing; scopes are apart", func(t *testing.T) {
		repo := newRepo(t)
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, inserted, err := repo.Insert(ctx, rec("u1", "k", string(rune('a'+i))))
				if err != nil {
					t.Error(err)
				}
				if inserted {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Fatalf("%d claims of one key", n)
		}
		if _, inserted, err := repo.Insert(ctx, rec("u2", "k", "z")); err != nil || !inserted {
			t.Fatalf("another scope's same key: %v, %v", inserted, err)
		}
	})

	t.Run("the existing record comes back with its answer once completed", func(t *testing.T) {
		repo := newRepo(t)
		first := rec("u1", "Order 42/retry", "t1")
		if _, inserted, err := repo.Insert(ctx, first); err != nil || !inserted {
			t.Fatal(inserted, err)
		}
		got, inserted, err := repo.Insert(ctx, rec("u1", "Order 42/retry", "t2"))
		if err != nil || inserted || got.Token != "t1" || got.Fingerprint != first.Fingerprint || got.Done() ||
			!got.LockedUntil.Equal(first.LockedUntil) || !got.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("while running: %+v, %v, %v", got, inserted, err)
		}
		if err := repo.Complete(ctx, "u1", "Order 42/retry", "t2", 201, nil, nil); !errors.Is(err, idempotency.ErrClaimLost) {
			t.Fatalf("completing another claim's record: %v", err)
		}
		header := map[string]string{"Content-Type": "application/json", "Location": "/x/1"}
		body := []byte(`{"id":"1"}`)
		if err := repo.Complete(ctx, "u1", "Order 42/retry", "t1", 201, header, body); err != nil {
			t.Fatal(err)
		}
		got, _, err = repo.Insert(ctx, rec("u1", "Order 42/retry", "t3"))
		if err != nil || got.Status != 201 || string(got.Body) != string(body) || got.Header["Location"] != "/x/1" ||
			got.Header["Content-Type"] != "application/json" || got.Token != "t1" {
			t.Fatalf("after completion: %+v, %v", got, err)
		}
	})

	t.Run("release frees the key only for its claim", func(t *testing.T) {
		repo := newRepo(t)
		if _, _, err := repo.Insert(ctx, rec("u1", "k", "t1")); err != nil {
			t.Fatal(err)
		}
		if err := repo.Release(ctx, "u1", "k", "other"); err != nil {
			t.Fatal(err)
		}
		if _, inserted, _ := repo.Insert(ctx, rec("u1", "k", "t2")); inserted {
			t.Fatal("another claim's release freed the key")
		}
		if err := repo.Release(ctx, "u1", "k", "t1"); err != nil {
			t.Fatal(err)
		}
		if _, inserted, err := repo.Insert(ctx, rec("u1", "k", "t2")); err != nil || !inserted {
			t.Fatalf("after release: %v, %v", inserted, err)
		}
	})

	t.Run("expired records are deleted, the others kept", func(t *testing.T) {
		repo := newRepo(t)
		old := rec("u1", "old", "t1")
		old.ExpiresAt = now.Add(-time.Second)
		for _, r := range []idempotency.Record{old, rec("u1", "new", "t2")} {
			if _, _, err := repo.Insert(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := repo.DeleteExpired(ctx, now); err != nil {
			t.Fatal(err)
		}
		if _, inserted, _ := repo.Insert(ctx, rec("u1", "old", "t3")); !inserted {
			t.Fatal("the expired record is still there")
		}
		if _, inserted, _ := repo.Insert(ctx, rec("u1", "new", "t4")); inserted {
			t.Fatal("a live record was deleted")
		}
	})
}
