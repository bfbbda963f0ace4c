package mongo_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workitem/workitemtest"
	"github.com/workspaceops/workspaceops/platform/ids"
)

func TestWorkItemsContract(t *testing.T) {
	workitemtest.RepositoryContract(t, func(t *testing.T) workitem.Repository {
		return mongo.NewWorkItems(indexedDatabase(t))
	})
}

// The stored shape is what List sorts and pages on: one int64 sort field per sort key, kept in
// step with the item on every write, a null dueDate, and arrays that are never null.
func TestWorkItemStoredDocumentShape(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	repo := mongo.NewWorkItems(db)
	w := workitem.WorkItem{
		ID: ids.New(), WorkspaceID: ids.New(), Title: "Ship it", Status: workitem.Draft, Priority: workitem.High,
		CreatedBy: ids.New(), CreatedAt: t0, UpdatedAt: t0, Version: 1, // Tags and DocumentIDs nil
	}
	if err := repo.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	stored := func() bson.M {
		t.Helper()
		var m bson.M
		if err := db.Collection("workItems").FindOne(ctx, bson.D{{Key: "_id", Value: w.ID}}).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	check := func(m bson.M, field string, want any) {
		t.Helper()
		if got := m[field]; got != want {
			t.Errorf("%s = %#v (%T), want %#v (%T)", field, got, got, want, want)
		}
	}
	checkArray := func(m bson.M, field string, want ...string) {
		t.Helper()
		a, ok := m[field].(bson.A)
		if !ok || len(a) != len(want) {
			t.Errorf("%s = %#v (%T), want the array %q", field, m[field], m[field], want)
			return
		}
		for i := range want {
			if a[i] != want[i] {
				t.Errorf("%s = %v, want %q", field, a, want)
			}
		}
	}

	m := stored()
	for field, want := range map[string]any{
		"workspaceId": w.WorkspaceID, "title": "Ship it", "status": "DRAFT", "priority": "HIGH",
		"assigneeId": "", "createdBy": w.CreatedBy, "version": int64(1),
		"createdAt": bson.NewDateTimeFromTime(t0), "updatedAt": bson.NewDateTimeFromTime(t0),
		"createdAtMs": t0.UnixMilli(), "updatedAtMs": t0.UnixMilli(),
		"dueSort": int64(math.MaxInt64), "priorityRank": int64(3),
	} {
		check(m, field, want)
	}
	if v, ok := m["dueDate"]; !ok || v != nil {
		t.Errorf("dueDate = %#v (present %v), want null", v, ok)
	}
	checkArray(m, "tags")
	checkArray(m, "documentIds")

	// An update recomputes every sort field from the new values.
	due, later := t0.Add(72*time.Hour), t0.Add(time.Hour)
	got, wrote, err := repo.Update(ctx, w.WorkspaceID, w.ID, func(x *workitem.WorkItem) (bool, error) {
		x.DueDate, x.Priority, x.UpdatedAt, x.Tags, x.DocumentIDs = &due, workitem.Urgent, later, []string{"a"}, []string{"d1"}
		return true, nil
	})
	if err != nil || !wrote || got.Version != 2 {
		t.Fatalf("update = %+v, %v, %v", got, wrote, err)
	}
	m = stored()
	for field, want := range map[string]any{
		"dueDate": bson.NewDateTimeFromTime(due), "dueSort": due.UnixMilli(), "priorityRank": int64(4),
		"updatedAt": bson.NewDateTimeFromTime(later), "updatedAtMs": later.UnixMilli(),
		"createdAtMs": t0.UnixMilli(), "version": int64(2),
	} {
		check(m, field, want)
	}
	checkArray(m, "tags", "a")
	checkArray(m, "documentIds", "d1")

	// Clearing the due date stores null and the no-due-date sort value again.
	if _, _, err := repo.Update(ctx, w.WorkspaceID, w.ID, func(x *workitem.WorkItem) (bool, error) {
		x.DueDate, x.Tags = nil, nil
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	m = stored()
	if v, ok := m["dueDate"]; !ok || v != nil {
		t.Errorf("cleared dueDate = %#v (present %v), want null", v, ok)
	}
	check(m, "dueSort", int64(math.MaxInt64))
	checkArray(m, "tags")
}

// Update must not let its change function move an item to another workspace or id.
func TestWorkItemUpdateKeepsIdentity(t *testing.T) {
	ctx := context.Background()
	repo := mongo.NewWorkItems(indexedDatabase(t))
	w := workitem.WorkItem{ID: ids.New(), WorkspaceID: "ws1", Title: "x", Status: workitem.Draft, Priority: workitem.Low, CreatedAt: t0, UpdatedAt: t0, Version: 1}
	if err := repo.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, _, err := repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
		x.ID, x.WorkspaceID, x.Version = "other", "ws2", 99
		return true, nil
	})
	if err != nil || got.ID != w.ID || got.WorkspaceID != "ws1" || got.Version != 2 {
		t.Fatalf("update = %+v, %v", got, err)
	}
	if _, err := repo.Get(ctx, "ws2", w.ID); !errors.Is(err, workitem.ErrNotFound) {
		t.Fatalf("item moved to ws2: %v", err)
	}
}

// Another process (here: a write straight to the collection, bypassing this process's lock)
// changing the item between Update's read and write makes the write match nothing; Update then
// reloads and calls change again on the new state, gives up after a few rounds, and reports a
// vanished item as not found.
func TestWorkItemUpdateRetriesLostRaces(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	coll := db.Collection("workItems")
	repo := mongo.NewWorkItems(db)
	newItem := func() workitem.WorkItem {
		w := workitem.WorkItem{ID: ids.New(), WorkspaceID: "ws1", Title: "x", Status: workitem.Draft, Priority: workitem.Low, CreatedAt: t0, UpdatedAt: t0, Version: 1}
		if err := repo.Create(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	interfere := func(id string) {
		t.Helper()
		update := bson.D{{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}, {Key: "$push", Value: bson.D{{Key: "tags", Value: "other"}}}}
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one lost race", func(t *testing.T) {
		w := newItem()
		calls := 0
		got, wrote, err := repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
			if calls++; calls == 1 {
				interfere(w.ID)
			}
			x.Tags = append(x.Tags, "mine")
			return true, nil
		})
		if err != nil || !wrote || calls != 2 || got.Version != 3 || len(got.Tags) != 2 {
			t.Fatalf("update = %+v, %v, %v after %d calls", got, wrote, err, calls)
		}
		stored, err := repo.Get(ctx, "ws1", w.ID)
		if err != nil || stored.Version != 3 || len(stored.Tags) != 2 || stored.Tags[0] != "other" || stored.Tags[1] != "mine" {
			t.Fatalf("stored %+v, %v", stored, err)
		}
	})

	t.Run("always losing", func(t *testing.T) {
		w := newItem()
		calls := 0
		_, wrote, err := repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
			calls++
			interfere(w.ID)
			return true, nil
		})
		if !errors.Is(err, workitem.ErrConflict) || wrote || calls != 5 {
			t.Fatalf("update wrote=%v err=%v after %d calls", wrote, err, calls)
		}
	})

	t.Run("vanished", func(t *testing.T) {
		w := newItem()
		_, wrote, err := repo.Update(ctx, "ws1", w.ID, func(x *workitem.WorkItem) (bool, error) {
			if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: w.ID}}); err != nil {
				t.Fatal(err)
			}
			return true, nil
		})
		if !errors.Is(err, workitem.ErrNotFound) || wrote {
			t.Fatalf("update wrote=%v err=%v", wrote, err)
		}
	})
}
