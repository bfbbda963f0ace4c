// Package webhooktest holds the contract every webhook.Repository implementation must meet,
// run against the in-memory one, SQLite and MongoDB alike.
package webhooktest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/platform/ids"
)

var (
	ctx = context.Background()
	// Millisecond precision: what the stores keep.
	t0 = time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
)

// NewWebhook returns a valid active webhook of workspace wid.
func NewWebhook(wid string) webhook.Webhook {
	return webhook.Webhook{
		ID: ids.New(), WorkspaceID: wid, URL: "https://hooks.example.com/in", Events: []string{"work-item:created", "document:uploaded"},
		Secret: "whsec_" + ids.New(), Active: true, Cursor: 3, CreatedBy: ids.New(), CreatedAt: t0, UpdatedAt: t0, Version: 1,
	}
}

func sameWebhook(t *testing.T, got, want webhook.Webhook) {
	t.Helper()
	if fmt.Sprint(got.Events) != fmt.Sprint(want.Events) || (got.Pending == nil) != (want.Pending == nil) ||
		(got.Pending != nil && (*got.Pending != webhook.Pending{DeliveryID: want.Pending.DeliveryID, Seq: want.Pending.Seq, Attempt: want.Pending.Attempt, NextAt: got.Pending.NextAt} || !got.Pending.NextAt.Equal(want.Pending.NextAt))) ||
		!got.LeaseUntil.Equal(want.LeaseUntil) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("got  %+v %+v\nwant %+v %+v", got, got.Pending, want, want.Pending)
	}
	g, w := got, want
	g.Events, w.Events, g.Pending, w.Pending = nil, nil, nil, nil
	g.LeaseUntil, w.LeaseUntil, g.CreatedAt, w.CreatedAt, g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", w) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// RepositoryContract runs the contract against a fresh repository from newRepo for each case.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) webhook.Repository) {
	t.Run("create, get, list, count, delete", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		var made []webhook.Webhook
		for range 3 {
			w := NewWebhook(wid)
			if err := repo.Create(ctx, w); err != nil {
				t.Fatal(err)
			}
			made = append(made, w)
		}
		other := NewWebhook(ids.New())
		other.Active = false
		if err := repo.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		got, err := repo.Get(ctx, wid, made[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		sameWebhook(t, got, made[1])
		if _, err := repo.Get(ctx, other.WorkspaceID, made[1].ID); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("another workspace's webhook: %v, want ErrNotFound", err)
		}
		if n, err := repo.Count(ctx, wid); n != 3 || err != nil {
			t.Fatalf("Count = %d, %v", n, err)
		}
		first, err := repo.List(ctx, wid, "", 2)
		if err != nil || len(first) != 2 {
			t.Fatalf("List = %d, %v", len(first), err)
		}
		rest, err := repo.List(ctx, wid, first[1].ID, 2)
		if err != nil || len(rest) != 1 || rest[0].ID <= first[1].ID || first[0].ID >= first[1].ID {
			t.Fatalf("pages out of order: %v %v (%v)", first, rest, err)
		}
		active, err := repo.Active(ctx, "", 100)
		if err != nil || len(active) != 3 {
			t.Fatalf("Active = %d webhooks, %v; want the 3 active ones", len(active), err)
		}
		if err := repo.Delete(ctx, wid, made[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := repo.Delete(ctx, wid, made[0].ID); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("second Delete: %v", err)
		}
		if err := repo.Delete(ctx, wid, other.ID); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("Delete through another workspace: %v", err)
		}
	})

	t.Run("delete a workspace's webhooks", func(t *testing.T) {
		repo := newRepo(t)
		gone, kept := NewWebhook(ids.New()), NewWebhook(ids.New())
		for _, w := range []webhook.Webhook{gone, kept} {
			if err := repo.Create(ctx, w); err != nil {
				t.Fatal(err)
			}
			if err := repo.AddAttempt(ctx, webhook.Attempt{WebhookID: w.ID, WorkspaceID: w.WorkspaceID, DeliveryID: "d", Attempt: 1, Status: webhook.StatusSucceeded, At: t0}); err != nil {
				t.Fatal(err)
			}
		}
		if err := repo.DeleteWorkspace(ctx, gone.WorkspaceID); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Get(ctx, gone.WorkspaceID, gone.ID); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("a deleted workspace's webhook: %v", err)
		}
		if left, _ := repo.Attempts(ctx, gone.ID, webhook.AttemptQuery{Limit: 10}); len(left) != 0 {
			t.Fatalf("a deleted workspace's deliveries stay: %d", len(left))
		}
		if _, err := repo.Get(ctx, kept.WorkspaceID, kept.ID); err != nil {
			t.Fatalf("another workspace's webhook: %v", err)
		}
		if left, _ := repo.Attempts(ctx, kept.ID, webhook.AttemptQuery{Limit: 10}); len(left) != 1 {
			t.Fatalf("another workspace's deliveries: %d", len(left))
		}
	})

	t.Run("update is a compare-and-set keeping every field", func(t *testing.T) {
		repo := newRepo(t)
		w := NewWebhook(ids.New())
		if err := repo.Create(ctx, w); err != nil {
			t.Fatal(err)
		}
		got, wrote, err := repo.Update(ctx, w.WorkspaceID, w.ID, func(x *webhook.Webhook) (bool, error) {
			x.Cursor, x.Generation, x.Active, x.DisabledReason = 9, 2, false, "gone"
			x.Pending = &webhook.Pending{DeliveryID: "d1", Seq: 10, Attempt: 2, NextAt: t0.Add(time.Minute)}
			x.LeaseOwner, x.LeaseUntil = "instance-a", t0.Add(30*time.Second)
			x.Events = []string{"*"}
			return true, nil
		})
		if err != nil || !wrote || got.Version != 2 {
			t.Fatalf("Update = v%d %v %v", got.Version, wrote, err)
		}
		stored, err := repo.Get(ctx, w.WorkspaceID, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameWebhook(t, stored, got)
		if _, _, err := repo.Update(ctx, ids.New(), w.ID, func(*webhook.Webhook) (bool, error) { return true, nil }); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("Update through another workspace: %v", err)
		}
		// Concurrent increments of the cursor: none is lost.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, _, err := repo.Update(ctx, w.WorkspaceID, w.ID, func(x *webhook.Webhook) (bool, error) {
					x.Cursor++
					return true, nil
				}); err != nil && !errors.Is(err, webhook.ErrConflict) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		final, _ := repo.Get(ctx, w.WorkspaceID, w.ID)
		if int64(final.Version-2) != final.Cursor-9 {
			t.Fatalf("version %d, cursor %d: a write was lost", final.Version, final.Cursor)
		}
	})

	t.Run("lease: acquire, renew, refuse, take over when expired", func(t *testing.T) {
		repo := newRepo(t)
		w := NewWebhook(ids.New())
		if err := repo.Create(ctx, w); err != nil {
			t.Fatal(err)
		}
		take := func(owner string, now time.Time) bool {
			got, _, err := repo.Update(ctx, w.WorkspaceID, w.ID, func(x *webhook.Webhook) (bool, error) {
				if x.LeaseOwner != owner && x.LeaseOwner != "" && x.LeaseUntil.After(now) {
					return false, nil
				}
				x.LeaseOwner, x.LeaseUntil = owner, now.Add(30*time.Second)
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got.LeaseOwner == owner
		}
		// Two instances race for a free lease: exactly one gets it.
		var wg sync.WaitGroup
		won := make([]bool, 2)
		for i, owner := range []string{"a", "b"} {
			wg.Go(func() { won[i] = take(owner, t0) })
		}
		wg.Wait()
		if won[0] == won[1] {
			t.Fatalf("both or neither took the lease: %v", won)
		}
		holder, other := "a", "b"
		if won[1] {
			holder, other = "b", "a"
		}
		if take(other, t0.Add(10*time.Second)) {
			t.Fatal("a held lease was taken")
		}
		if !take(holder, t0.Add(20*time.Second)) {
			t.Fatal("the holder could not renew its lease")
		}
		if !take(other, t0.Add(51*time.Second)) {
			t.Fatal("an expired lease was not taken over")
		}
	})

	t.Run("deliveries log: pages newest first, last attempt, pruning, deleted with the webhook", func(t *testing.T) {
		repo := newRepo(t)
		w := NewWebhook(ids.New())
		if err := repo.Create(ctx, w); err != nil {
			t.Fatal(err)
		}
		var want []webhook.Attempt
		for i := range 5 {
			a := webhook.Attempt{
				WebhookID: w.ID, WorkspaceID: w.WorkspaceID, DeliveryID: fmt.Sprintf("d%d", i/2), Seq: int64(4 + i/2), Event: "work-item:created",
				Attempt: i%2 + 1, Status: webhook.StatusPending, ResponseStatus: 500, DurationMs: 12, Error: "the receiver answered 500",
				At: t0.Add(time.Duration(i) * time.Hour),
			}
			if err := repo.AddAttempt(ctx, a); err != nil {
				t.Fatal(err)
			}
			want = append([]webhook.Attempt{a}, want...)
		}
		if err := repo.AddAttempt(ctx, webhook.Attempt{WebhookID: ids.New(), DeliveryID: "x", Attempt: 1, Status: webhook.StatusSucceeded, At: t0}); err != nil {
			t.Fatal(err)
		}
		var got []webhook.Attempt
		before := ""
		for {
			p, err := repo.Attempts(ctx, w.ID, webhook.AttemptQuery{BeforeKey: before, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p...)
			if len(p) < 2 {
				break
			}
			before = p[len(p)-1].Key()
		}
		if len(got) != len(want) {
			t.Fatalf("%d attempts listed, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i].Key() != want[i].Key() || got[i].Status != want[i].Status || got[i].ResponseStatus != 500 ||
				got[i].Error != want[i].Error || got[i].Seq != want[i].Seq || got[i].DurationMs != 12 || !got[i].At.Equal(want[i].At) {
				t.Fatalf("attempt %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		last, err := repo.LastAttempt(ctx, w.ID, "d0")
		if err != nil || last.Attempt != 2 || last.Seq != 4 {
			t.Fatalf("LastAttempt = %+v, %v", last, err)
		}
		if _, err := repo.LastAttempt(ctx, w.ID, "nope"); !errors.Is(err, webhook.ErrDeliveryNotFound) {
			t.Fatalf("unknown delivery: %v", err)
		}
		if err := repo.PruneAttempts(ctx, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		left, err := repo.Attempts(ctx, w.ID, webhook.AttemptQuery{Limit: 10})
		if err != nil || len(left) != 3 {
			t.Fatalf("after pruning: %d attempts, %v; want the 3 newest", len(left), err)
		}
		if err := repo.Delete(ctx, w.WorkspaceID, w.ID); err != nil {
			t.Fatal(err)
		}
		if left, _ := repo.Attempts(ctx, w.ID, webhook.AttemptQuery{Limit: 10}); len(left) != 0 {
			t.Fatalf("a deleted webhook's deliveries stay: %d", len(left))
		}
	})
}
