// Package auditlogtest holds the contract every auditlog.Repository implementation must meet,
// run against the in-memory store and the MongoDB adapter alike.
//
// What it promises about Entry.Data, which is stored in formats with fewer types than Go:
// strings, booleans and nil come back as they went in; a number comes back with the same value,
// an integer (any Go integer type) as some Go integer type and a float64 as a float64 (the
// MongoDB adapter gives every integer back as int64, the memory store the type it was given;
// JSON renders them alike); a list comes back as a slice of equal elements ([]any or the slice
// type given). A nil or empty Data comes back empty. Nested maps are not promised. Times (At)
// come back equal at millisecond precision; the location may change.
package auditlogtest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// entry returns an entry of wid; n varies its time (n minutes after t0) and target.
func entry(wid string, n int) auditlog.Entry {
	return auditlog.Entry{
		ID: ids.New(), WorkspaceID: wid, Action: "WORK_ITEM_CREATED", Event: events.WorkItemCreated,
		TargetType: events.TargetWorkItem, TargetID: fmt.Sprint("item", n), ActorID: "actor",
		At: t0.Add(time.Duration(n) * time.Minute), Data: map[string]any{"n": n},
	}
}

func appendAll(t *testing.T, repo auditlog.Repository, entries ...auditlog.Entry) []auditlog.Entry {
	t.Helper()
	out := make([]auditlog.Entry, len(entries))
	for i, e := range entries {
		stored, err := repo.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = stored
	}
	return out
}

// same fails unless got is want as stored: every field equal, At to the millisecond, Data as
// the package comment promises.
func same(t *testing.T, got, want auditlog.Entry) {
	t.Helper()
	if got.ID != want.ID || got.WorkspaceID != want.WorkspaceID || got.Seq != want.Seq || got.Action != want.Action ||
		got.Event != want.Event || got.TargetType != want.TargetType || got.TargetID != want.TargetID ||
		got.ActorID != want.ActorID || !got.At.Equal(want.At) {
		t.Fatalf("entry\n got %+v\nwant %+v", got, want)
	}
	if len(got.Data) != len(want.Data) {
		t.Fatalf("entry %d data %#v, want %#v", want.Seq, got.Data, want.Data)
	}
	for k, w := range want.Data {
		g, ok := got.Data[k]
		if !ok || !sameValue(g, w) {
			t.Fatalf("entry %d data[%q] = %#v (%T), want %#v (%T)", want.Seq, k, g, g, w, w)
		}
	}
}

// sameValue compares one Data value as the package comment promises.
func sameValue(got, want any) bool {
	if want == nil {
		return got == nil
	}
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if got == nil {
		return false
	}
	switch w.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch g.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return g.Int() == w.Int()
		}
		return false
	case reflect.Float64:
		return g.Kind() == reflect.Float64 && g.Float() == w.Float()
	case reflect.Slice:
		if g.Kind() != reflect.Slice || g.Len() != w.Len() {
			return false
		}
		for i := range w.Len() {
			if !sameValue(g.Index(i).Interface(), w.Index(i).Interface()) {
				return false
			}
		}
		return true
	default:
		return got == want
	}
}

func seqs(entries []auditlog.Entry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 { // from..to inclusive, descending when from > to
	var out []int64
	for s := from; ; {
		out = append(out, s)
		if s == to {
			return out
		}
		if from < to {
			s++
		} else {
			s--
		}
	}
}

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) auditlog.Repository) {
	t.Run("seqs count per workspace from 1", func(t *testing.T) {
		repo := newRepo(t)
		if head, err := repo.Head(ctx, "ws1"); err != nil || head != 0 {
			t.Fatalf("head of an empty log = %d, %v", head, err)
		}
		stored := appendAll(t, repo, entry("ws1", 1), entry("ws2", 2), entry("ws1", 3), entry("ws1", 4), entry("ws2", 5))
		if got, want := seqs(stored), []int64{1, 1, 2, 3, 2}; !slices.Equal(got, want) {
			t.Fatalf("seqs %v, want %v", got, want)
		}
		for ws, want := range map[string]int64{"ws1": 3, "ws2": 2, "ws3": 0} {
			if head, err := repo.Head(ctx, ws); err != nil || head != want {
				t.Fatalf("head of %s = %d, %v; want %d", ws, head, err, want)
			}
		}
		got, err := repo.Since(ctx, "ws2", 0, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("since = %v, %v", got, err)
		}
		same(t, got[0], stored[1])
		same(t, got[1], stored[4])
	})

	t.Run("concurrent appends get every seq exactly once", func(t *testing.T) {
		repo := newRepo(t)
		const workspaces, perWorkspace = 3, 20
		var wg sync.WaitGroup
		stored := make([][]auditlog.Entry, workspaces)
		errs := make([][]error, workspaces)
		for w := range workspaces {
			stored[w], errs[w] = make([]auditlog.Entry, perWorkspace), make([]error, perWorkspace)
			for i := range perWorkspace {
				wg.Go(func() {
					stored[w][i], errs[w][i] = repo.Append(ctx, entry(fmt.Sprint("ws", w), i))
				})
			}
		}
		wg.Wait()
		for w := range workspaces {
			wid := fmt.Sprint("ws", w)
			for _, err := range errs[w] {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := seqs(stored[w])
			slices.Sort(got)
			if want := seqRange(1, perWorkspace); !slices.Equal(got, want) {
				t.Fatalf("%s: seqs handed out %v, want %v", wid, got, want)
			}
			if head, err := repo.Head(ctx, wid); err != nil || head != perWorkspace {
				t.Fatalf("%s: head %d, %v", wid, head, err)
			}
			all, err := repo.Since(ctx, wid, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if want := seqRange(1, perWorkspace); !slices.Equal(seqs(all), want) {
				t.Fatalf("%s: stored seqs %v, want %v", wid, seqs(all), want)
			}
			// What Append returned is what was stored at that seq.
			for _, s := range stored[w] {
				same(t, all[s.Seq-1], s)
			}
		}
	})

	t.Run("fields and data round-trip", func(t *testing.T) {
		repo := newRepo(t)
		e := auditlog.Entry{
			ID: ids.New(), WorkspaceID: "ws1", Action: "WORK_ITEM_UPDATED", Event: events.WorkItemUpdated,
			TargetType: events.TargetWorkItem, TargetID: "item1", ActorID: "u1", At: t0,
			Data: map[string]any{
				"name": "Q3 plan", "empty": "", "int": 42, "int64": int64(1) << 40, "negative": -7,
				"float": 1.5, "wholeFloat": 3.0, "yes": true, "no": false, "none": nil,
				"fields": []string{"title", "status"}, "mixed": []any{"a", 1, true},
			},
		}
		system := entry("ws1", 2)
		system.ActorID, system.Data, system.Event, system.Action = "", nil, events.OverviewUpdated, "OVERVIEW_UPDATED"
		emptyData := entry("ws1", 3)
		emptyData.Data = map[string]any{}
		local := entry("ws1", 4)
		local.At = t0.In(time.FixedZone("UTC+3", 3*3600))

		stored := appendAll(t, repo, e, system, emptyData, local)
		want := []auditlog.Entry{e, system, emptyData, local}
		for i := range want {
			want[i].Seq = int64(i + 1)
			same(t, stored[i], want[i])
		}
		// Neither the stored nor the returned entry shares the caller's map.
		e.Data["name"] = "changed"
		e.Data["added"] = true
		if stored[0].Data["name"] != "Q3 plan" || len(stored[0].Data) != 12 {
			t.Fatalf("the entry Append returned changed with the caller's map: %v", stored[0].Data)
		}

		since, err := repo.Since(ctx, "ws1", 0, 10)
		if err != nil || len(since) != 4 {
			t.Fatalf("since = %d entries, %v", len(since), err)
		}
		listed, err := repo.List(ctx, "ws1", auditlog.Query{Limit: 10})
		if err != nil || len(listed) != 4 {
			t.Fatalf("list = %d entries, %v", len(listed), err)
		}
		want[0].Data = map[string]any{
			"name": "Q3 plan", "empty": "", "int": 42, "int64": int64(1) << 40, "negative": -7,
			"float": 1.5, "wholeFloat": 3.0, "yes": true, "no": false, "none": nil,
			"fields": []string{"title", "status"}, "mixed": []any{"a", 1, true},
		}
		for i := range want {
			same(t, since[i], want[i])
			same(t, listed[len(listed)-1-i], want[i])
		}
	})

	// Six entries in ws1 (seq = n) and one in ws2:
	//   seq action               actor  target          at (minutes after t0)
	//   1   WORK_ITEM_CREATED    u1     work-item i1    1
	//   2   WORK_ITEM_UPDATED    u2     work-item i1    2
	//   3   DOCUMENT_UPLOADED    u1     document  d1    3
	//   4   WORK_ITEM_CREATED    ""     work-item i2    4
	//   5   DOCUMENT_DELETED     u2     document  d1    5
	//   6   WORK_ITEM_UPDATED    u1     work-item i2    6
	t.Run("list filters, newest first", func(t *testing.T) {
		repo := newRepo(t)
		rows := []struct {
			action, actor, ttype, tid string
		}{
			{"WORK_ITEM_CREATED", "u1", events.TargetWorkItem, "i1"},
			{"WORK_ITEM_UPDATED", "u2", events.TargetWorkItem, "i1"},
			{"DOCUMENT_UPLOADED", "u1", events.TargetDocument, "d1"},
			{"WORK_ITEM_CREATED", "", events.TargetWorkItem, "i2"},
			{"DOCUMENT_DELETED", "u2", events.TargetDocument, "d1"},
			{"WORK_ITEM_UPDATED", "u1", events.TargetWorkItem, "i2"},
		}
		for i, r := range rows {
			e := entry("ws1", i+1)
			e.Action, e.ActorID, e.TargetType, e.TargetID = r.action, r.actor, r.ttype, r.tid
			appendAll(t, repo, e)
		}
		other := entry("ws2", 3)
		other.ActorID = "u1"
		appendAll(t, repo, other)
		at := func(n int) *time.Time { return ptr(t0.Add(time.Duration(n) * time.Minute)) }
		for name, tc := range map[string]struct {
			q    auditlog.Query
			want []int64
		}{
			"all":                    {auditlog.Query{}, []int64{6, 5, 4, 3, 2, 1}},
			"one action":             {auditlog.Query{Actions: []string{"WORK_ITEM_CREATED"}}, []int64{4, 1}},
			"two actions":            {auditlog.Query{Actions: []string{"DOCUMENT_UPLOADED", "DOCUMENT_DELETED"}}, []int64{5, 3}},
			"unused action":          {auditlog.Query{Actions: []string{"WORKSPACE_DELETED"}}, nil},
			"actor":                  {auditlog.Query{ActorID: "u1"}, []int64{6, 3, 1}},
			"target type":            {auditlog.Query{TargetType: events.TargetDocument}, []int64{5, 3}},
			"target id":              {auditlog.Query{TargetID: "i2"}, []int64{6, 4}},
			"from is inclusive":      {auditlog.Query{From: at(4)}, []int64{6, 5, 4}},
			"to is exclusive":        {auditlog.Query{To: at(3)}, []int64{2, 1}},
			"from and to":            {auditlog.Query{From: at(2), To: at(5)}, []int64{4, 3, 2}},
			"between two entries":    {auditlog.Query{From: ptr(at(2).Add(time.Second)), To: ptr(at(3).Add(-time.Second))}, nil},
			"before seq":             {auditlog.Query{BeforeSeq: 4}, []int64{3, 2, 1}},
			"limit":                  {auditlog.Query{Limit: 2}, []int64{6, 5}},
			"combined":               {auditlog.Query{Actions: []string{"WORK_ITEM_UPDATED", "WORK_ITEM_CREATED"}, ActorID: "u1", TargetID: "i1"}, []int64{1}},
			"filter, before, limit":  {auditlog.Query{TargetType: events.TargetWorkItem, BeforeSeq: 6, Limit: 2}, []int64{4, 2}},
			"actor and time":         {auditlog.Query{ActorID: "u2", From: at(3)}, []int64{5}},
			"no match":               {auditlog.Query{ActorID: "nobody"}, nil},
			"before the first entry": {auditlog.Query{BeforeSeq: 1}, nil},
		} {
			t.Run(name, func(t *testing.T) {
				if tc.q.Limit == 0 {
					tc.q.Limit = 50
				}
				got, err := repo.List(ctx, "ws1", tc.q)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range got {
					if e.WorkspaceID != "ws1" {
						t.Fatalf("entry of %s listed", e.WorkspaceID)
					}
				}
				if !slices.Equal(seqs(got), tc.want) {
					t.Fatalf("got seqs %v, want %v", seqs(got), tc.want)
				}
			})
		}
		if got, err := repo.List(ctx, "ws3", auditlog.Query{Limit: 10}); err != nil || len(got) != 0 {
			t.Fatalf("list of an empty workspace = %v, %v", got, err)
		}
	})

	t.Run("paging with BeforeSeq visits every entry once", func(t *testing.T) {
		repo := newRepo(t)
		const n = 25
		for i := range n {
			e := entry("ws1", i)
			if i%3 == 0 {
				e.Action = "DOCUMENT_UPLOADED"
			}
			appendAll(t, repo, e, entry("ws2", i))
		}
		for name, tc := range map[string]struct {
			q    auditlog.Query
			want []int64
		}{
			"everything": {auditlog.Query{Limit: 4}, seqRange(n, 1)},
			"filtered":   {auditlog.Query{Actions: []string{"DOCUMENT_UPLOADED"}, Limit: 3}, []int64{25, 22, 19, 16, 13, 10, 7, 4, 1}},
			"one by one": {auditlog.Query{ActorID: "actor", Limit: 1}, seqRange(n, 1)},
		} {
			t.Run(name, func(t *testing.T) {
				var got []int64
				q := tc.q
				for range 2 * n {
					p, err := repo.List(ctx, "ws1", q)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, seqs(p)...)
					if len(p) < q.Limit {
						break
					}
					q.BeforeSeq = p[len(p)-1].Seq
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("paged seqs %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("since replays oldest first", func(t *testing.T) {
		repo := newRepo(t)
		const n = 40 // more than an implementation may fetch one by one
		var stored []auditlog.Entry
		for i := range n {
			stored = append(stored, appendAll(t, repo, entry("ws1", i), entry("ws2", i))[0])
		}
		for name, tc := range map[string]struct {
			after int64
			limit int
			want  []int64
		}{
			"all":                 {0, 100, seqRange(1, n)},
			"exact limit":         {0, n, seqRange(1, n)},
			"first ones":          {0, 3, []int64{1, 2, 3}},
			"middle":              {5, 3, []int64{6, 7, 8}},
			"a long middle":       {3, 30, seqRange(4, 33)},
			"the rest":            {n - 2, 10, []int64{n - 1, n}},
			"caught up":           {n, 10, nil},
			"ahead of the log":    {n + 5, 10, nil},
			"negative is from 0":  {-1, 2, []int64{1, 2}},
			"limit 0 reads none":  {0, 0, nil},
			"long tail past head": {n - 20, 100, seqRange(n-19, n)},
		} {
			t.Run(name, func(t *testing.T) {
				got, err := repo.Since(ctx, "ws1", tc.after, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(seqs(got), tc.want) {
					t.Fatalf("got seqs %v, want %v", seqs(got), tc.want)
				}
				for _, e := range got {
					same(t, e, stored[e.Seq-1])
				}
			})
		}
		if got, err := repo.Since(ctx, "ws3", 0, 10); err != nil || len(got) != 0 {
			t.Fatalf("since in an empty workspace = %v, %v", got, err)
		}
	})
}
