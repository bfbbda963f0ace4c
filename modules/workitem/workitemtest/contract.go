// Package workitemtest holds the contract every workitem.Repository implementation must meet,
// run against the in-memory store and the MongoDB adapter alike.
package workitemtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/platform/ids"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// item returns a valid item; n varies its times so orders are predictable.
func item(wid string, n int) workitem.WorkItem {
	return workitem.WorkItem{
		ID: ids.New(), WorkspaceID: wid, Title: fmt.Sprintf("Item %02d", n), Description: "d",
		Status: workitem.Draft, Priority: workitem.Priorities()[n%4], Tags: []string{}, DocumentIDs: []string{},
		CreatedBy: "creator", CreatedAt: t0.Add(time.Duration(n) * time.Minute), UpdatedAt: t0.Add(time.Duration(n) * time.Minute), Version: 1,
	}
}

func create(t *testing.T, repo workitem.Repository, items ...workitem.WorkItem) {
	t.Helper()
	for _, w := range items {
		if err := repo.Create(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
}

func same(t *testing.T, got, want workitem.WorkItem) {
	t.Helper()
	eqTime := func(a, b *time.Time) bool { return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b)) }
	if got.ID != want.ID || got.WorkspaceID != want.WorkspaceID || got.Title != want.Title || got.Description != want.Description ||
		got.Status != want.Status || got.Priority != want.Priority || got.AssigneeID != want.AssigneeID || !eqTime(got.DueDate, want.DueDate) ||
		!slices.Equal(got.Tags, want.Tags) || !slices.Equal(got.DocumentIDs, want.DocumentIDs) || got.CreatedBy != want.CreatedBy ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) || got.Version != want.Version {
		t.Fatalf("item\n got %+v\nwant %+v", got, want)
	}
}

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) workitem.Repository) {
	t.Run("create and get", func(t *testing.T) {
		repo := newRepo(t)
		w := item("ws1", 1)
		w.AssigneeID, w.DueDate, w.Tags, w.DocumentIDs = "u1", ptr(t0.Add(48*time.Hour)), []string{"a", "b"}, []string{"d1"}
		plain := item("ws1", 2)
		create(t, repo, w, plain)
		got, err := repo.Get(ctx, "ws1", w.ID)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, w)
		got, err = repo.Get(ctx, "ws1", plain.ID)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, plain)
		if _, err := repo.Get(ctx, "ws2", w.ID); !errors.Is(err, workitem.ErrNotFound) {
			t.Fatalf("get through another workspace: %v", err)
		}
		if _, err := repo.Get(ctx, "ws1", ids.New()); !errors.Is(err, workitem.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
	})

	t.Run("update writes, skips and fails as told", func(t *testing.T) {
		repo := newRepo(t)
		w := item("ws1", 1)
		create(t, repo, w)
		got, wrote, err := repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
			x.Title, x.DueDate, x.Tags = "Renamed", ptr(t0), []string{"x"}
			return true, nil
		})
		if err != nil || !wrote || got.Version != 2 || got.Title != "Renamed" {
			t.Fatalf("update = %+v, %v, %v", got, wrote, err)
		}
		stored, _ := repo.Get(ctx, "ws1", w.ID)
		same(t, stored, got)
		_, wrote, err = repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) { x.Title = "ignored"; return false, nil })
		if err != nil || wrote {
			t.Fatalf("no-op update wrote=%v err=%v", wrote, err)
		}
		boom := errors.New("boom")
		if _, _, err := repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) { x.Title = "ignored"; return true, boom }); !errors.Is(err, boom) {
			t.Fatalf("change error: %v", err)
		}
		if stored, _ := repo.Get(ctx, "ws1", w.ID); stored.Title != "Renamed" || stored.Version != 2 {
			t.Fatalf("a skipped or failed change was written: %+v", stored)
		}
		if _, _, err := repo.Update(ctx, "ws2", w.ID, func(*workitem.WorkItem) (bool, error) { return true, nil }); !errors.Is(err, workitem.ErrNotFound) {
			t.Fatalf("update through another workspace: %v", err)
		}
		_, _, err = repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) { x.DueDate = nil; return true, nil })
		if stored, _ := repo.Get(ctx, "ws1", w.ID); err != nil || stored.DueDate != nil {
			t.Fatalf("clearing the due date: %+v, %v", stored.DueDate, err)
		}
	})

	t.Run("concurrent updates lose nothing", func(t *testing.T) {
		repo := newRepo(t)
		w := item("ws1", 1)
		create(t, repo, w)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
					x.Tags = append(slices.Clone(x.Tags), fmt.Sprint("t", i))
					return true, nil
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := repo.Get(ctx, "ws1", w.ID)
		if len(got.Tags) != n || got.Version != 1+n {
			t.Fatalf("after %d concurrent appends: tags %v, version %d", n, got.Tags, got.Version)
		}
	})

	t.Run("conditional moves: exactly one of many wins", func(t *testing.T) {
		repo := newRepo(t)
		w := item("ws1", 1)
		create(t, repo, w)
		const n = 8
		var wg sync.WaitGroup
		wins := make([]bool, n)
		for i := range n {
			wg.Go(func() {
				_, wins[i], _ = repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
					if x.Status != workitem.Draft {
						return false, workitem.ErrInvalidTransition
					}
					x.Status = workitem.Active
					return true, nil
				})
			})
		}
		wg.Wait()
		if won := len(slices.DeleteFunc(wins, func(b bool) bool { return !b })); won != 1 {
			t.Fatalf("%d moves won, want exactly 1", won)
		}
	})

	t.Run("delete a workspace's items", func(t *testing.T) {
		repo := newRepo(t)
		a, b, other := item("ws1", 1), item("ws1", 2), item("ws2", 3)
		a.Tags, a.DocumentIDs = []string{"t"}, []string{"d"}
		create(t, repo, a, b, other)
		if err := repo.DeleteWorkspace(ctx, "ws1"); err != nil {
			t.Fatal(err)
		}
		if got, err := repo.List(ctx, "ws1", workitem.Query{Sort: workitem.SortCreatedAt, Limit: 10}); err != nil || len(got) != 0 {
			t.Fatalf("ws1 still lists %d items (%v)", len(got), err)
		}
		if ids, err := repo.IDsLinkedTo(ctx, "ws1", "d", 10); err != nil || len(ids) != 0 {
			t.Fatalf("ws1 still links d from %v (%v)", ids, err)
		}
		if c, err := repo.Counts(ctx, "ws1", t0); err != nil || c.ByStatus[workitem.Draft] != 0 {
			t.Fatalf("ws1 still counts %+v (%v)", c, err)
		}
		if _, err := repo.Get(ctx, "ws2", other.ID); err != nil {
			t.Fatalf("another workspace's item went too: %v", err)
		}
		if err := repo.DeleteWorkspace(ctx, "ws1"); err != nil {
			t.Fatalf("deleting an empty workspace's items: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		repo := newRepo(t)
		w := item("ws1", 1)
		create(t, repo, w)
		if err := repo.Delete(ctx, "ws2", w.ID); !errors.Is(err, workitem.ErrNotFound) {
			t.Fatalf("delete through another workspace: %v", err)
		}
		if err := repo.Delete(ctx, "ws1", w.ID); err != nil {
			t.Fatal(err)
		}
		if err := repo.Delete(ctx, "ws1", w.ID); !errors.Is(err, workitem.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})

	t.Run("list filters", func(t *testing.T) {
		repo := newRepo(t)
		a, b, c, d := item("ws1", 1), item("ws1", 2), item("ws1", 3), item("ws2", 4)
		a.Status, a.Tags, a.AssigneeID, a.DueDate, a.Title = workitem.Active, []string{"red"}, "u1", ptr(t0.Add(time.Hour)), "Fix the (login) page"
		b.Status, b.Tags, b.DueDate, b.Title = workitem.Completed, []string{"red", "blue"}, ptr(t0.Add(3*time.Hour)), "Write docs"
		c.Title = "LOGIN audit"
		create(t, repo, a, b, c, d)
		for name, tc := range map[string]struct {
			f    workitem.Filter
			want []string
		}{
			"all":               {workitem.Filter{}, []string{a.ID, b.ID, c.ID}},
			"one status":        {workitem.Filter{Statuses: []workitem.Status{workitem.Draft}}, []string{c.ID}},
			"two statuses":      {workitem.Filter{Statuses: []workitem.Status{workitem.Active, workitem.Completed}}, []string{a.ID, b.ID}},
			"assignee":          {workitem.Filter{AssigneeID: "u1"}, []string{a.ID}},
			"tag":               {workitem.Filter{Tag: "red"}, []string{a.ID, b.ID}},
			"text ignores case": {workitem.Filter{Text: "login"}, []string{a.ID, c.ID}},
			"text is literal":   {workitem.Filter{Text: "(login)"}, []string{a.ID}},
			"regex chars":       {workitem.Filter{Text: ".*"}, nil},
			"due before":        {workitem.Filter{DueBefore: ptr(t0.Add(2 * time.Hour))}, []string{a.ID}},
			"due after":         {workitem.Filter{DueAfter: ptr(t0.Add(2 * time.Hour))}, []string{b.ID}},
			"combined":          {workitem.Filter{Tag: "red", Statuses: []workitem.Status{workitem.Completed}}, []string{b.ID}},
		} {
			t.Run(name, func(t *testing.T) {
				got, err := repo.List(ctx, "ws1", workitem.Query{Filter: tc.f, Sort: workitem.SortCreatedAt, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs []string
				for _, w := range got {
					gotIDs = append(gotIDs, w.ID)
				}
				if !slices.Equal(gotIDs, tc.want) {
					t.Fatalf("got %v, want %v", gotIDs, tc.want)
				}
			})
		}
	})

	t.Run("list orders and pages by every key", func(t *testing.T) {
		repo := newRepo(t)
		var all []workitem.WorkItem
		for n := range 9 {
			w := item("ws1", n)
			w.UpdatedAt = t0.Add(time.Duration(9-n) * time.Minute)
			if n%3 != 0 {
				w.DueDate = ptr(t0.Add(time.Duration(n%4) * time.Hour)) // ties on purpose
			}
			all = append(all, w)
		}
		create(t, repo, all...)
		for _, key := range []workitem.SortKey{workitem.SortCreatedAt, workitem.SortUpdatedAt, workitem.SortDueDate, workitem.SortPriority} {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprint(key, desc), func(t *testing.T) {
					want := slices.Clone(all)
					slices.SortFunc(want, func(a, b workitem.WorkItem) int {
						c := cmp.Or(cmp.Compare(workitem.SortValue(a, key), workitem.SortValue(b, key)), strings.Compare(a.ID, b.ID))
						if desc {
							return -c
						}
						return c
					})
					var got []workitem.WorkItem
					q := workitem.Query{Sort: key, Desc: desc, Limit: 2}
					for range 10 {
						p, err := repo.List(ctx, "ws1", q)
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, p...)
						if len(p) < q.Limit {
							break
						}
						last := p[len(p)-1]
						q.After = &workitem.Position{Value: workitem.SortValue(last, key), ID: last.ID}
					}
					if len(got) != len(want) {
						t.Fatalf("paged %d items, want %d", len(got), len(want))
					}
					for i := range want {
						if got[i].ID != want[i].ID {
							t.Fatalf("position %d: got %s (%d), want %s (%d)", i, got[i].Title, workitem.SortValue(got[i], key), want[i].Title, workitem.SortValue(want[i], key))
						}
					}
				})
			}
		}
	})

	t.Run("paging stays exact while items are inserted", func(t *testing.T) {
		repo := newRepo(t)
		var originals []string
		for n := range 6 {
			w := item("ws1", n)
			originals = append(originals, w.ID)
			create(t, repo, w)
		}
		seen := map[string]int{}
		q := workitem.Query{Sort: workitem.SortCreatedAt, Desc: true, Limit: 2}
		for page := 0; page < 10; page++ {
			p, err := repo.List(ctx, "ws1", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range p {
				seen[w.ID]++
			}
			// Newer items arrive between pages; newest-first paging must neither skip nor repeat.
			create(t, repo, item("ws1", 100+page))
			if len(p) < q.Limit {
				break
			}
			last := p[len(p)-1]
			q.After = &workitem.Position{Value: workitem.SortValue(last, q.Sort), ID: last.ID}
		}
		for _, id := range originals {
			if seen[id] != 1 {
				t.Fatalf("original item seen %d times", seen[id])
			}
		}
	})

	t.Run("linked ids and counts", func(t *testing.T) {
		repo := newRepo(t)
		a, b, c := item("ws1", 0), item("ws1", 1), item("ws1", 2)
		a.DocumentIDs, b.DocumentIDs = []string{"doc1"}, []string{"doc2", "doc1"}
		a.Status, a.DueDate = workitem.Active, ptr(t0.Add(-time.Hour))    // overdue
		b.Status, b.DueDate = workitem.Completed, ptr(t0.Add(-time.Hour)) // done: not overdue
		c.DueDate = ptr(t0.Add(time.Hour))                                // not yet due
		other := item("ws2", 3)
		other.DocumentIDs = []string{"doc1"}
		create(t, repo, a, b, c, other)
		linked, err := repo.IDsLinkedTo(ctx, "ws1", "doc1", 10)
		slices.Sort(linked)
		want := []string{a.ID, b.ID}
		slices.Sort(want)
		if err != nil || !slices.Equal(linked, want) {
			t.Fatalf("IDsLinkedTo = %v, %v; want %v", linked, err, want)
		}
		counts, err := repo.Counts(ctx, "ws1", t0)
		if err != nil {
			t.Fatal(err)
		}
		if counts.ByStatus[workitem.Draft] != 1 || counts.ByStatus[workitem.Active] != 1 || counts.ByStatus[workitem.Completed] != 1 || counts.Overdue != 1 {
			t.Fatalf("counts %+v", counts)
		}
		if counts.ByPriority[workitem.Low] != 1 || counts.ByPriority[workitem.Medium] != 1 || counts.ByPriority[workitem.High] != 1 || counts.ByPriority[workitem.Urgent] != 0 {
			t.Fatalf("priority counts %+v", counts.ByPriority)
		}
	})
}
