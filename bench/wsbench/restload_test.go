package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseSizes(t *testing.T) {
	for in, want := range map[string][]int{
		"1000,10000,50000": {1000, 10000, 50000},
		" 200 , 500 ,":     {200, 500},
		"100000":           {100000},
	} {
		got, err := parseSizes(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseSizes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ",", "0", "-5", "1e3", "10k", "500,200", "100,100", "100001",
		"1,2,3,4,5,6,7,8,9,10,11"} {
		if got, err := parseSizes(in); err == nil {
			t.Errorf("parseSizes(%q) = %v, want an error", in, got)
		}
	}
}

func TestRestSizesFlags(t *testing.T) {
	var sb strings.Builder
	c, err := parseFlags(nil, &sb)
	if err != nil || !slices.Equal(c.restSizes, []int{1000}) || c.restDuration != 25*time.Second {
		t.Fatalf("defaults: %v %v %v", c, err, sb.String())
	}
	c, err = parseFlags([]string{"-workloads", "rest", "-rest-sizes", "1000,10000,50000"}, &sb)
	if err != nil || !slices.Equal(c.restSizes, []int{1000, 10000, 50000}) {
		t.Fatalf("-rest-sizes: %v %v", c, err)
	}
	// Each client flips its own item of the first size.
	if _, err := parseFlags([]string{"-rest-sizes", "4,100", "-rest-clients", "8"}, &sb); err == nil {
		t.Error("a first size below -rest-clients is refused")
	}
	if _, err := parseFlags([]string{"-rest-sizes", "100,50"}, &sb); err == nil {
		t.Error("decreasing sizes are refused")
	}
	if _, err := parseFlags([]string{"-rest-items", "50"}, &sb); err == nil {
		t.Error("-rest-items is gone (-rest-sizes replaces it)")
	}
}

func TestMeasureAccounting(t *testing.T) {
	var calls, failures atomic.Int64
	st := measure(context.Background(), 4, 60*time.Millisecond, func(ctx context.Context, c int) error {
		time.Sleep(time.Millisecond)
		if calls.Add(1)%3 == 0 {
			failures.Add(1)
			return errors.New("boom")
		}
		return nil
	})
	if int64(len(st.lats))+st.errs != calls.Load() || st.errs != failures.Load() || st.errs == 0 {
		t.Errorf("%d latencies + %d errors, want %d calls (%d failed)", len(st.lats), st.errs, calls.Load(), failures.Load())
	}
	if st.firstErr != "boom" || st.wall < 60*time.Millisecond {
		t.Errorf("first error %q, wall %s", st.firstErr, st.wall)
	}

	// A cancelled run stops at once and counts no failure for the cancelled calls.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st = measure(ctx, 2, time.Minute, func(ctx context.Context, c int) error { return ctx.Err() })
	if st.errs != 0 || len(st.lats) != 0 || st.wall > time.Second {
		t.Errorf("cancelled: %+v", st)
	}
}

func TestRestRow(t *testing.T) {
	var lats []time.Duration
	for i := 1; i <= 100; i++ {
		lats = append(lats, time.Duration(i)*100*time.Microsecond) // 0.1 .. 10 ms
	}
	st := &opStats{wall: 2 * time.Second}
	st.add(lats[:50], 0, "")
	st.add(lats[50:], 0, "")
	r := newRestRow(1000, "list_work_items", st)
	got := map[string]any{}
	for _, p := range r.fields() {
		got[p.K] = p.V
	}
	want := map[string]any{"items": 1000, "op": "list_work_items", "requests": 100, "errors": int64(0), "per_s": 50.0,
		"p50_ms": 5.0, "p90_ms": 9.0, "p99_ms": 9.9, "max_ms": 10.0, "target": "p99 ≤ 10 ms", "met": "yes"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, got[k], got[k], v)
		}
	}
	if keys := r.fields(); keys[0].K != "items" || keys[1].K != "op" || keys[len(keys)-1].K != "met" {
		t.Errorf("column order: %v", keys)
	}

	// One failure, or a p99 over the target, or a rate under it: not met.
	st.add(nil, 1, "HTTP 500")
	if r := newRestRow(1000, "list_work_items", st); r.met() != "no" || r.errs != 1 || r.firstErr != "HTTP 500" {
		t.Errorf("with an error: %+v", r)
	}
	if r := newRestRow(1000, "get_work_item", &opStats{lats: slices.Clone(lats), wall: time.Second}); r.met() != "no" {
		t.Error("get p99 9.9 ms > 5 ms is not met")
	}
	fast := []time.Duration{time.Millisecond, 2 * time.Millisecond}
	if r := newRestRow(1000, "status_change", &opStats{lats: fast, wall: time.Second}); r.met() != "no" {
		t.Error("2 status changes/s is under 1,000/s")
	}
	if r := newRestRow(1000, "overview", &opStats{wall: time.Second}); r.met() != "no" {
		t.Error("no request at all is not met")
	}
	if r := newRestRow(1000, seedOp, &opStats{lats: fast, wall: time.Second}); r.met() != "-" || r.perS != 2 {
		t.Errorf("seeding row: %+v met %s", r, r.met())
	}
	if got := restTargets["status_change"].String(); got != "≥ 1000/s, p99 ≤ 25 ms" {
		t.Errorf("status change target %q", got)
	}
	for _, op := range restOps {
		if _, ok := restTargets[op]; !ok {
			t.Errorf("%s has no target", op)
		}
	}
}

func row(items int, op string, p99 time.Duration, perS float64) restRow {
	return restRow{items: items, op: op, n: 10, perS: perS, lat: latency{N: 10, P99: p99}}
}

func TestRestGrowth(t *testing.T) {
	rows := []restRow{
		row(1000, seedOp, 50*time.Millisecond, 900),
		row(1000, "list_work_items", 4*time.Millisecond, 800),
		row(1000, "status_change", 10*time.Millisecond, 1200),
		row(10000, seedOp, 90*time.Millisecond, 700),
		row(10000, "list_work_items", 5*time.Millisecond, 700),
		row(10000, "status_change", 11*time.Millisecond, 1100),
		row(50000, seedOp, 200*time.Millisecond, 500),
		row(50000, "list_work_items", 7*time.Millisecond, 600),
		row(50000, "status_change", 12*time.Millisecond, 1000),
	}
	f, within, text := restGrowth(rows)
	got := map[string]any{}
	for _, p := range f {
		got[p.K] = p.V
	}
	if got["list_work_items_p99_growth"] != 1.75 || got["status_change_p99_growth"] != 1.2 || got["status_change_per_s_drop"] != 1.2 || len(f) != 3 {
		t.Errorf("growth %v", f)
	}
	if !within || !slices.Equal(text, []string{"list ×1.75", "status change ×1.20"}) {
		t.Errorf("within %v, text %q", within, text)
	}

	rows = append(rows, row(100000, "list_work_items", 9*time.Millisecond, 500)) // 9/4 > 2
	if _, within, _ := restGrowth(rows); within {
		t.Error("list p99 ×2.25 is not within 2x")
	}
	halved := slices.Clone(rows[:9])
	halved[8] = row(50000, "status_change", 12*time.Millisecond, 500) // rate 1200 -> 500
	if _, within, _ := restGrowth(halved); within {
		t.Error("a status change rate ÷2.4 is not within 2x")
	}
	if f, within, _ := restGrowth(rows[:3]); within || len(f) != 0 {
		t.Errorf("one size: no growth figures, not within (%v %v)", f, within)
	}
	zero := []restRow{row(1000, "overview", 0, 1), row(2000, "overview", time.Millisecond, 1)}
	if f, within, _ := restGrowth(zero); within || f[0].V != -1.0 {
		t.Errorf("no p99 at the smallest size: %v %v", f, within)
	}
}

func TestRestHeadline(t *testing.T) {
	rows := []restRow{
		row(1000, "list_work_items", 4*time.Millisecond, 800),
		row(2000, "list_work_items", 6*time.Millisecond, 700),
		row(2000, "status_change", 12*time.Millisecond, 1000),
	}
	_, _, g := restGrowth(rows)
	h := restHeadline(rows, g, 1234.5)
	want := "at 2000 items: list p99 6.0 ms, status change 1000/s p99 12.0 ms; p99 vs smallest: list ×1.50; seeding 1234 items/s"
	if h != want {
		t.Errorf("headline\n%s\nwant\n%s", h, want)
	}
}

func TestSeedSpec(t *testing.T) {
	base := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	assignees := []string{"aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"}
	statuses, priorities := map[string]int{}, map[string]int{}
	var due, tagged, described, assigned int
	for j := range 10000 {
		s, status := seedSpec(j, base, assignees)
		statuses[status]++
		priorities[s.Priority]++
		if s.Title == "" || len(s.Title) > 200 {
			t.Fatalf("title %q", s.Title)
		}
		if s.DueDate != nil {
			due++
			if s.DueDate.Before(base.Add(-30*24*time.Hour)) || !s.DueDate.Before(base.Add(60*24*time.Hour)) {
				t.Fatalf("due date %s out of range", s.DueDate)
			}
		}
		if len(s.Tags) > 3 {
			t.Fatalf("tags %v", s.Tags)
		}
		if len(s.Tags) > 0 {
			tagged++
		}
		for i, tag := range s.Tags {
			if tag != strings.ToLower(tag) || strings.ContainsAny(tag, " \t") || slices.Contains(s.Tags[:i], tag) {
				t.Fatalf("tags %v", s.Tags)
			}
		}
		if s.Description != "" {
			described++
		}
		if s.AssigneeID != "" {
			assigned++
			if !slices.Contains(assignees, s.AssigneeID) {
				t.Fatalf("assignee %q", s.AssigneeID)
			}
		}
		if again, st := seedSpec(j, base, assignees); again.Title != s.Title || st != status {
			t.Fatal("seedSpec is not deterministic")
		}
	}
	if statuses["DRAFT"] != 6000 || statuses["ACTIVE"] != 3000 || statuses["COMPLETED"] != 1000 {
		t.Errorf("statuses %v", statuses)
	}
	for _, p := range []string{"LOW", "MEDIUM", "HIGH", "URGENT"} {
		if priorities[p] < 1000 {
			t.Errorf("priorities %v", priorities)
		}
	}
	if priorities["MEDIUM"] < priorities["URGENT"] || len(priorities) != 4 {
		t.Errorf("priorities %v", priorities)
	}
	for name, n := range map[string]int{"due": due, "tagged": tagged, "described": described, "assigned": assigned} {
		if n < 3000 || n > 8000 {
			t.Errorf("%s: %d of 10000", name, n)
		}
	}
	if s, _ := seedSpec(3, base, nil); s.AssigneeID != "" {
		t.Error("no assignee without members")
	}

	// The body is the API's: camelCase, no status, empty fields left out.
	b, _ := json.Marshal(&workItemSpec{Title: "t", DueDate: &base})
	if string(b) != `{"title":"t","dueDate":"2030-01-02T00:00:00Z"}` {
		t.Errorf("body %s", b)
	}
}

func TestStatusMoves(t *testing.T) {
	allowed := map[[2]string]bool{{"DRAFT", "ACTIVE"}: true, {"ACTIVE", "DRAFT"}: true, {"ACTIVE", "COMPLETED"}: true, {"COMPLETED", "ACTIVE"}: true}
	for _, status := range []string{"DRAFT", "ACTIVE", "COMPLETED"} {
		at := "DRAFT"
		for _, to := range movesTo(status) {
			if !allowed[[2]string{at, to}] {
				t.Errorf("seeding %s: %s -> %s is not a move", status, at, to)
			}
			at = to
		}
		if at != status {
			t.Errorf("movesTo(%s) ends at %s", status, at)
		}
		if to := flipTo(status); !allowed[[2]string{status, to}] || to == "COMPLETED" {
			t.Errorf("flip from %s to %s", status, to)
		}
	}
}

func TestUploadBody(t *testing.T) {
	fill := bytes.Repeat([]byte{0xAB}, uploadBytes-uploadNonce)
	u, err := newUploadBody("wsbench-3.bin", "wsbench upload 3", fill)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newUploadBody("x", "x", fill[1:]); err == nil {
		t.Error("a short fill is refused")
	}
	mt, params, err := mime.ParseMediaType(u.contentType)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q: %v", u.contentType, err)
	}
	var contents [][]byte
	for _, c := range []byte{1, 2} {
		var nonce [uploadNonce]byte
		nonce[0] = c
		rd, n := u.reader(nonce)
		body, _ := io.ReadAll(rd)
		if int64(len(body)) != n {
			t.Fatalf("length %d, read %d", n, len(body))
		}
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(2 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(form.Value) != 1 || len(form.Value["title"]) != 1 || form.Value["title"][0] != "wsbench upload 3" {
			t.Errorf("fields %v", form.Value)
		}
		files := form.File["file"]
		if len(form.File) != 1 || len(files) != 1 || files[0].Filename != "wsbench-3.bin" || files[0].Size != uploadBytes {
			t.Fatalf("files %v", form.File)
		}
		f, _ := files[0].Open()
		content, _ := io.ReadAll(f)
		f.Close()
		_ = form.RemoveAll()
		if !bytes.Equal(content[:uploadNonce], nonce[:]) || !bytes.Equal(content[uploadNonce:], fill) {
			t.Error("the file is the nonce then the fill")
		}
		contents = append(contents, content)
	}
	if bytes.Equal(contents[0], contents[1]) {
		t.Error("two nonces, one content")
	}
}

func TestReportRows(t *testing.T) {
	r := &result{Workload: "rest", Pass: true, Headline: "h"}
	r.Params.add("sizes", joinInts([]int{200, 500}))
	r.Rows = append(r.Rows, row(200, "get_work_item", 3*time.Millisecond, 100).fields(),
		row(500, "get_work_item", 4*time.Millisecond, 90).fields())
	rep := &report{Results: []*result{r}}
	md := rep.markdown()
	for _, want := range []string{
		"| items | op | requests | errors | per_s | p50_ms | p90_ms | p99_ms | max_ms | target | met |",
		"| 500 | get_work_item | 10 | 0 | 90 | 0 | 0 | 4 | 0 | p99 ≤ 5 ms | yes |",
		"| sizes | 200,500 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var j struct {
		Results []struct {
			Rows []map[string]any `json:"rows"`
		} `json:"results"`
	}
	if err := json.Unmarshal(rep.json(), &j); err != nil || len(j.Results[0].Rows) != 2 || j.Results[0].Rows[1]["p99_ms"] != 4.0 {
		t.Errorf("json rows: %v %+v", err, j)
	}
	var sb strings.Builder
	writeTable(&sb, []*result{r})
	if !strings.Contains(sb.String(), "P99_MS") || !strings.Contains(sb.String(), "get_work_item") {
		t.Errorf("table:\n%s", sb.String())
	}
}
