package mongo_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/auditlog/auditlogtest"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

func TestAuditLogContract(t *testing.T) {
	auditlogtest.RepositoryContract(t, func(t *testing.T) auditlog.Repository {
		return mongo.NewAuditLog(indexedDatabase(t))
	})
}

func auditEntry(wid string, n int) auditlog.Entry {
	return auditlog.Entry{
		ID: ids.New(), WorkspaceID: wid, Action: "WORK_ITEM_CREATED", Event: events.WorkItemCreated,
		TargetType: events.TargetWorkItem, TargetID: ids.New(), ActorID: "u1",
		At: t0.Add(time.Duration(n) * time.Minute), Data: map[string]any{"n": n},
	}
}

func auditSeqs(t *testing.T, repo *mongo.AuditLog, wid string) []int64 {
	t.Helper()
	all, err := repo.Since(context.Background(), wid, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(all))
	for i, e := range all {
		out[i] = e.Seq
	}
	return out
}

// The stored shape: _id workspaceId:seq, the entry id in entryId, data a document (also when
// the entry has none), integers decoded as int64; the counter in auditHeads.
func TestAuditLogStoredDocumentShape(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	repo := mongo.NewAuditLog(db)
	wid := ids.New()
	e := auditEntry(wid, 1)
	e.At = t0.Add(123456 * time.Nanosecond) // sub-millisecond: stored and returned truncated
	e.Data = map[string]any{"int": 7, "list": []string{"a"}}
	got, err := repo.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(t0) || got.At.Location() != time.UTC || got.Seq != 1 {
		t.Fatalf("appended %+v", got)
	}
	var m bson.M
	if err := db.Collection("auditLog").FindOne(ctx, bson.D{{Key: "_id", Value: wid + ":1"}}).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m["entryId"] != e.ID || m["workspaceId"] != wid || m["seq"] != int64(1) || m["at"] != bson.NewDateTimeFromTime(t0) {
		t.Fatalf("stored %v", m)
	}
	if _, ok := m["data"].(bson.D); !ok { // bson.M decodes nested documents as bson.D
		t.Fatalf("data stored as %T", m["data"])
	}
	listed, err := repo.List(ctx, wid, auditlog.Query{Limit: 1})
	if err != nil || len(listed) != 1 {
		t.Fatalf("list = %v, %v", listed, err)
	}
	if v, ok := listed[0].Data["int"].(int64); !ok || v != 7 {
		t.Errorf("data int = %#v (%T), want int64 7", listed[0].Data["int"], listed[0].Data["int"])
	}
	if l, ok := listed[0].Data["list"].([]any); !ok || len(l) != 1 || l[0] != "a" {
		t.Errorf("data list = %#v", listed[0].Data["list"])
	}

	empty := auditEntry(wid, 2)
	empty.Data = nil
	if _, err := repo.Append(ctx, empty); err != nil {
		t.Fatal(err)
	}
	m = nil
	if err := db.Collection("auditLog").FindOne(ctx, bson.D{{Key: "_id", Value: wid + ":2"}}).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if d, ok := m["data"].(bson.D); !ok || len(d) != 0 {
		t.Fatalf("nil data stored as %#v", m["data"])
	}
	var head bson.M
	if err := db.Collection("auditHeads").FindOne(ctx, bson.D{{Key: "_id", Value: wid}}).Decode(&head); err != nil {
		t.Fatal(err)
	}
	if head["seq"] != int64(2) {
		t.Fatalf("counter %v", head)
	}
}

// A counter left behind — another process's insert not yet counted, or a crash between the
// insert and the counter update; simulated by inserting entries straight into the collection —
// neither duplicates nor skips a seq: the next Append takes the seq after the highest stored and
// raises the counter. Meanwhile Head reports the counter, and Since still returns every entry.
func TestAuditLogCounterLeftBehind(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	repo := mongo.NewAuditLog(db)
	insertBehind := func(wid string, seq int64) {
		t.Helper()
		doc := bson.D{
			{Key: "_id", Value: wid + ":" + strconv.FormatInt(seq, 10)}, {Key: "entryId", Value: ids.New()},
			{Key: "workspaceId", Value: wid}, {Key: "seq", Value: seq}, {Key: "action", Value: "WORK_ITEM_CREATED"},
			{Key: "event", Value: string(events.WorkItemCreated)}, {Key: "targetType", Value: events.TargetWorkItem},
			{Key: "targetId", Value: "x"}, {Key: "actorId", Value: "other-process"}, {Key: "at", Value: t0},
			{Key: "data", Value: bson.D{}},
		}
		if _, err := db.Collection("auditLog").InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
	counter := func(wid string) int64 {
		t.Helper()
		var h struct {
			Seq int64 `bson:"seq"`
		}
		if err := db.Collection("auditHeads").FindOne(ctx, bson.D{{Key: "_id", Value: wid}}).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return h.Seq
	}

	for name, tc := range map[string]struct {
		before, behind int // appended through the repository, then inserted behind its back
	}{
		"no counter yet":     {0, 1},
		"one behind":         {2, 1},
		"several behind":     {2, 3},
		"first entries only": {0, 4},
		"many behind":        {2, 12}, // more than Since reads one by one
	} {
		t.Run(name, func(t *testing.T) {
			wid := ids.New()
			for i := range tc.before {
				if _, err := repo.Append(ctx, auditEntry(wid, i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range tc.behind {
				insertBehind(wid, int64(tc.before+i+1))
			}
			stored := int64(tc.before + tc.behind)
			if head, err := repo.Head(ctx, wid); err != nil || head != int64(tc.before) {
				t.Fatalf("head = %d, %v; want the counter, %d", head, err, tc.before)
			}
			for _, after := range []int64{0, int64(tc.before), stored - 1} {
				got, err := repo.Since(ctx, wid, after, 100)
				if err != nil || int64(len(got)) != stored-after || (len(got) > 0 && got[len(got)-1].Seq != stored) {
					t.Fatalf("since %d before the append: %d entries, %v; want %d", after, len(got), err, stored-after)
				}
			}
			got, err := repo.Append(ctx, auditEntry(wid, 9))
			if err != nil || got.Seq != stored+1 {
				t.Fatalf("append = seq %d, %v; want %d", got.Seq, err, stored+1)
			}
			if c := counter(wid); c != stored+1 {
				t.Fatalf("counter %d after the append, want %d", c, stored+1)
			}
			if head, err := repo.Head(ctx, wid); err != nil || head != stored+1 {
				t.Fatalf("head after the append = %d, %v", head, err)
			}
			if _, err := repo.Append(ctx, auditEntry(wid, 10)); err != nil {
				t.Fatal(err)
			}
			want := make([]int64, stored+2)
			for i := range want {
				want[i] = int64(i + 1)
			}
			if got := auditSeqs(t, repo, wid); !slices.Equal(got, want) {
				t.Fatalf("seqs %v, want %v", got, want)
			}
		})
	}
}

// Append is idempotent on the entry id: a retry after an error that hid a successful insert
// (whether or not the counter was raised) returns the stored entry rather than a second one.
func TestAuditLogAppendRetryIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	repo := mongo.NewAuditLog(db)
	wid := ids.New()
	first, err := repo.Append(ctx, auditEntry(wid, 1))
	if err != nil {
		t.Fatal(err)
	}
	e := auditEntry(wid, 2)
	stored, err := repo.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}

	// The counter was raised: the retry finds seq 3 free but the id taken.
	again, err := repo.Append(ctx, e)
	if err != nil || again.Seq != stored.Seq || again.ID != e.ID {
		t.Fatalf("retry = %+v, %v; want seq %d", again, err, stored.Seq)
	}
	// The counter was not raised: the retry finds seq 2 taken by itself.
	if _, err := db.Collection("auditHeads").UpdateOne(ctx, bson.D{{Key: "_id", Value: wid}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: first.Seq}}}}); err != nil {
		t.Fatal(err)
	}
	again, err = repo.Append(ctx, e)
	if err != nil || again.Seq != stored.Seq || again.ID != e.ID {
		t.Fatalf("retry with the counter behind = %+v, %v; want seq %d", again, err, stored.Seq)
	}
	if got := auditSeqs(t, repo, wid); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("seqs %v, want [1 2]", got)
	}
	next, err := repo.Append(ctx, auditEntry(wid, 3))
	if err != nil || next.Seq != 3 {
		t.Fatalf("next append = seq %d, %v", next.Seq, err)
	}
}

// BenchmarkAuditLog measures the hot paths with a few thousand entries in the collection
// (go test -run '^$' -bench AuditLog ./adapters/mongo/): Append and a caught-up Since are
// lookups by _id plus one insert and one counter update; List scans on the embedded store.
func BenchmarkAuditLog(b *testing.B) {
	ctx := context.Background()
	db := mongotest.Database(b)
	if err := mongo.EnsureIndexes(ctx, db); err != nil {
		b.Fatal(err)
	}
	repo := mongo.NewAuditLog(db)
	busy, quiet := ids.New(), ids.New()
	for i := range 3000 {
		wid := busy
		if i%100 == 0 {
			wid = quiet
		}
		if _, err := repo.Append(ctx, auditEntry(wid, i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Append", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := repo.Append(ctx, auditEntry(quiet, i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Head", func(b *testing.B) {
		for b.Loop() {
			if _, err := repo.Head(ctx, busy); err != nil {
				b.Fatal(err)
			}
		}
	})
	head, _ := repo.Head(ctx, busy)
	b.Run("SinceCaughtUp", func(b *testing.B) {
		for b.Loop() {
			if _, err := repo.Since(ctx, busy, head, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SinceFiveBehind", func(b *testing.B) {
		for b.Loop() {
			if _, err := repo.Since(ctx, busy, head-5, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListNewest50", func(b *testing.B) {
		for b.Loop() {
			if _, err := repo.List(ctx, busy, auditlog.Query{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
