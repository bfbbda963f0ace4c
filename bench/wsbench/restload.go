package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The rest workload: one workspace seeded over REST up to each of -rest-sizes in turn
// (cumulatively: 1,000, then 9,000 more, then 40,000 more), and at each size every operation of
// restOps measured for an equal share of -rest-duration with -rest-clients concurrent clients.

// restOps are the measured operations, in the order they run at each size.
var restOps = []string{"list_work_items", "get_work_item", "status_change", "overview", "upload_1mib"}

// seedOp names the seeding rows of the report.
const seedOp = "seed_work_items"

const (
	seedInFlight   = 16      // work items created at once while seeding
	uploadBytes    = 1 << 20 // upload_1mib: the file's size
	maxRestSize    = 100_000 // -rest-sizes: the largest workspace
	maxRestSizes   = 10      // -rest-sizes: at most this many sizes
	uploadNonce    = 16      // the bytes of each upload that make its content unique
	deleteInFlight = 8       // uploaded documents deleted at once after each size
)

// restTarget is what one operation should achieve at every size.
type restTarget struct {
	p99     time.Duration
	minPerS float64 // 0: no throughput target
}

// restTargets are the figures asked of the embedded store at 1,000 to 50,000 work items (and
// the largest size's p99 within 2x of the smallest's: see restGrowth).
var restTargets = map[string]restTarget{
	"list_work_items": {p99: 10 * time.Millisecond},
	"get_work_item":   {p99: 5 * time.Millisecond},
	"status_change":   {p99: 25 * time.Millisecond, minPerS: 1000},
	"overview":        {p99: 50 * time.Millisecond},
	"upload_1mib":     {p99: 30 * time.Millisecond},
}

const restTargetText = "at every size: list page p99 ≤ 10 ms; get p99 ≤ 5 ms; status change ≥ 1,000/s (8 clients), p99 ≤ 25 ms; " +
	"overview p99 ≤ 50 ms; 1 MiB upload p99 ≤ 30 ms; each p99 at the largest size ≤ 2× the smallest's (status change rate ≥ ½)"

func (t restTarget) String() string {
	s := fmt.Sprintf("p99 ≤ %g ms", ms(t.p99))
	if t.minPerS > 0 {
		s = fmt.Sprintf("≥ %g/s, %s", t.minPerS, s)
	}
	return s
}

// parseSizes reads -rest-sizes: positive work item counts, comma-separated, strictly increasing
// (the workspace grows from one to the next), at most maxRestSizes of them, each ≤ maxRestSize.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > maxRestSize {
			return nil, fmt.Errorf("-rest-sizes: %q is not a work item count (1..%d)", f, maxRestSize)
		}
		if len(sizes) > 0 && n <= sizes[len(sizes)-1] {
			return nil, fmt.Errorf("-rest-sizes: %d after %d: sizes must increase (the workspace grows from one to the next)", n, sizes[len(sizes)-1])
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, errors.New("-rest-sizes: no size given")
	}
	if len(sizes) > maxRestSizes {
		return nil, fmt.Errorf("-rest-sizes: at most %d sizes", maxRestSizes)
	}
	return sizes, nil
}

// opStats is what one operation (or a seeding step) did: the latencies of the calls that
// succeeded, the failures, and the wall time it ran.
type opStats struct {
	lats     []time.Duration
	errs     int64
	firstErr string
	wall     time.Duration
}

// add merges one client's share (callers serialise).
func (s *opStats) add(lats []time.Duration, errs int64, firstErr string) {
	s.lats = append(s.lats, lats...)
	s.errs += errs
	if s.firstErr == "" {
		s.firstErr = firstErr
	}
}

// restRow is one operation at one size, summarised: a row of the report's table.
type restRow struct {
	items    int
	op       string
	n        int
	errs     int64
	perS     float64
	lat      latency
	firstErr string
}

// newRestRow summarises st (sorting its latencies in place). The rate counts successful calls.
func newRestRow(items int, op string, st *opStats) restRow {
	l := summarize(st.lats)
	return restRow{items: items, op: op, n: l.N, errs: st.errs, perS: perSecond(int64(l.N), st.wall), lat: l, firstErr: st.firstErr}
}

// met reports whether the row meets its operation's target ("-" without one).
func (r restRow) met() string {
	t, ok := restTargets[r.op]
	switch {
	case !ok:
		return "-"
	case r.n > 0 && r.errs == 0 && r.lat.P99 <= t.p99 && r.perS >= t.minPerS:
		return "yes"
	}
	return "no"
}

func (r restRow) fields() fields {
	var f fields
	f.add("items", r.items)
	f.add("op", r.op)
	f.add("requests", r.n)
	f.add("errors", r.errs)
	f.add("per_s", r.perS)
	f.add("p50_ms", ms(r.lat.P50))
	f.add("p90_ms", ms(r.lat.P90))
	f.add("p99_ms", ms(r.lat.P99))
	f.add("max_ms", ms(r.lat.Max))
	target := "-"
	if t, ok := restTargets[r.op]; ok {
		target = t.String()
	}
	f.add("target", target)
	f.add("met", r.met())
	return f
}

// restGrowth compares each measured operation at the largest size with the smallest: the p99
// ratio (largest / smallest; ≤ 2 meets the target) and, for the status change, the rate ratio
// (smallest / largest; ≤ 2 meets it). within reports whether every ratio is ≤ 2; it is false when
// fewer than two sizes were measured.
func restGrowth(rows []restRow) (f fields, within bool, text []string) {
	first, last := map[string]restRow{}, map[string]restRow{}
	for _, r := range rows {
		if _, ok := restTargets[r.op]; !ok {
			continue
		}
		if _, ok := first[r.op]; !ok {
			first[r.op] = r
		}
		last[r.op] = r
	}
	within = true
	measured := false
	for _, op := range restOps {
		a, okA := first[op]
		z, okZ := last[op]
		if !okA || !okZ || a.items == z.items {
			continue
		}
		measured = true
		g := ratio(z.lat.P99, a.lat.P99)
		f.add(op+"_p99_growth", g)
		within = within && g >= 0 && g <= 2
		text = append(text, fmt.Sprintf("%s ×%.2f", shortOp(op), g))
		if restTargets[op].minPerS > 0 {
			d := -1.0
			if z.perS > 0 {
				d = round2(a.perS / z.perS)
			}
			f.add(op+"_per_s_drop", d)
			within = within && d >= 0 && d <= 2
		}
	}
	return f, within && measured, text
}

// ratio is b/a rounded to 0.01 (-1 when a is 0: no figure to compare with).
func ratio(b, a time.Duration) float64 {
	if a <= 0 {
		return -1
	}
	return round2(float64(b) / float64(a))
}

func shortOp(op string) string {
	switch op {
	case "list_work_items":
		return "list"
	case "get_work_item":
		return "get"
	case "status_change":
		return "status change"
	case "upload_1mib":
		return "upload"
	}
	return op
}

// seedSpec is the j-th seeded work item and the status it is moved to after its creation: a
// mix of priorities (mostly MEDIUM), two thirds with a due date between 30 days before and 60
// days after base (some overdue), 0 to 3 tags out of 12, half with a description, half
// assigned (to assignees, when any), and 60% DRAFT, 30% ACTIVE, 10% COMPLETED.
func seedSpec(j int, base time.Time, assignees []string) (*workItemSpec, string) {
	h := mix64(uint64(j))
	s := &workItemSpec{Title: fmt.Sprintf("wsbench %s %d", seedWords[h%uint64(len(seedWords))], j)}
	h >>= 8
	s.Priority = [...]string{"LOW", "LOW", "MEDIUM", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "URGENT"}[h%8]
	h >>= 3
	if h%3 != 0 {
		due := base.Add(time.Duration(int64(h>>2)%(90*24)-30*24) * time.Hour)
		s.DueDate = &due
	}
	h >>= 20
	for t := range int(h % 4) {
		s.Tags = append(s.Tags, seedTags[(int(h>>2)+t*5)%len(seedTags)])
	}
	h >>= 8
	if h%2 == 0 {
		s.Description = "Seeded by wsbench: a work item of a large workspace, with a short **markdown** description.\n\n- one\n- two"
	}
	h >>= 1
	if h%2 == 0 && len(assignees) > 0 {
		s.AssigneeID = assignees[int(h>>1)%len(assignees)]
	}
	status := "DRAFT"
	switch j % 10 {
	case 6, 7, 8:
		status = "ACTIVE"
	case 9:
		status = "COMPLETED"
	}
	return s, status
}

var (
	seedWords = []string{"review", "deploy", "fix", "migrate", "document", "triage", "measure", "design", "refactor", "audit", "upgrade", "plan"}
	seedTags  = []string{"backend", "frontend", "bug", "ops", "docs", "security", "perf", "ux", "api", "data", "infra", "q3"}
)

// mix64 is splitmix64's finaliser: well-spread bits from a counter.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// movesTo is the status changes that take a new (DRAFT) work item to status.
func movesTo(status string) []string {
	switch status {
	case "ACTIVE":
		return []string{"ACTIVE"}
	case "COMPLETED":
		return []string{"ACTIVE", "COMPLETED"}
	}
	return nil
}

// flipTo is the status change of status_change from status: DRAFT and COMPLETED go to ACTIVE,
// ACTIVE to DRAFT (all allowed moves).
func flipTo(status string) string {
	if status == "ACTIVE" {
		return "DRAFT"
	}
	return "ACTIVE"
}

// uploadBody is a multipart/form-data body with a title field and a file part of uploadBytes:
// a per-upload nonce then fill (shared, read-only), so every upload's content differs without
// copying a MiB per request.
type uploadBody struct {
	contentType    string
	prefix, suffix []byte
	fill           []byte
}

func newUploadBody(name, title string, fill []byte) (*uploadBody, error) {
	if len(fill) != uploadBytes-uploadNonce {
		return nil, fmt.Errorf("upload fill is %d bytes, want %d", len(fill), uploadBytes-uploadNonce)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("title", title); err != nil {
		return nil, err
	}
	if _, err := w.CreateFormFile("file", name); err != nil {
		return nil, err
	}
	u := &uploadBody{contentType: w.FormDataContentType(), prefix: bytes.Clone(buf.Bytes()), fill: fill}
	buf.Reset()
	if err := w.Close(); err != nil {
		return nil, err
	}
	u.suffix = bytes.Clone(buf.Bytes())
	return u, nil
}

// reader is one upload's body, unique through nonce, and its length.
func (u *uploadBody) reader(nonce [uploadNonce]byte) (io.Reader, int64) {
	n := int64(len(u.prefix) + uploadNonce + len(u.fill) + len(u.suffix))
	return io.MultiReader(bytes.NewReader(u.prefix), bytes.NewReader(nonce[:]), bytes.NewReader(u.fill), bytes.NewReader(u.suffix)), n
}

// seeded is a created work item and the status it was left in.
type seeded struct {
	id, status string
}

// seeder grows one workspace's work items.
type seeder struct {
	b         *bench
	wid       string
	users     []*user // authors, in turn
	assignees []string
	base      time.Time // due dates are spread around it

	next  int // the next item's index (its spec)
	mu    sync.Mutex
	items []seeded // every item created, in creation order
}

func (s *seeder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// growTo creates work items, seedInFlight at once, until the workspace holds target of them.
// A failed item is counted and replaced by another; more than 1% failed (at least 10) stops it.
// The latencies are the creates'; the wall time includes the status moves.
func (s *seeder) growTo(ctx context.Context, target int) (*opStats, error) {
	st := &opStats{}
	start := time.Now()
	want := target - s.count()
	budget := int64(max(10, want/100))
	stopLog := s.logProgress(ctx, target, start)
	defer stopLog()
	for s.count() < target {
		n := target - s.count()
		first := s.next
		s.next += n
		err := parallel(ctx, n, seedInFlight, func(ctx context.Context, i int) error {
			j := first + i
			spec, status := seedSpec(j, s.base, s.assignees)
			author := s.users[j%len(s.users)]
			t := time.Now()
			id, err := s.b.rest.createWorkItemSpec(ctx, author.token, s.wid, spec)
			d := time.Since(t)
			if err == nil {
				for _, to := range movesTo(status) {
					if err = s.b.rest.setStatus(ctx, author.token, s.wid, id, to); err != nil {
						err = fmt.Errorf("move a seeded item to %s: %w", to, err)
						break
					}
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				st.add(nil, 1, err.Error())
				if st.errs > budget {
					return fmt.Errorf("seeding: %d requests failed, the first: %s", st.errs, st.firstErr)
				}
				return nil
			}
			st.add([]time.Duration{d}, 0, "")
			s.items = append(s.items, seeded{id: id, status: status})
			return nil
		})
		if err != nil {
			st.wall = time.Since(start)
			return st, err
		}
	}
	st.wall = time.Since(start)
	return st, nil
}

// logProgress logs the seeding every 10 s until the returned func is called.
func (s *seeder) logProgress(ctx context.Context, target int, start time.Time) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	from := s.count()
	go func() {
		defer close(done)
		for sleepCtx(ctx, 10*time.Second) {
			n := s.count()
			s.b.logf("rest: seeding %d/%d work items (%.0f/s)", n, target, perSecond(int64(n-from), time.Since(start)))
		}
	}()
	return func() { cancel(); <-done }
}

// measure runs call back to back from k clients for d and gathers the outcome.
func measure(ctx context.Context, k int, d time.Duration, call func(ctx context.Context, c int) error) *opStats {
	st := &opStats{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for c := range k {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			var errs int64
			var firstErr string
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				if err := call(ctx, c); err != nil {
					if ctx.Err() != nil {
						break
					}
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			st.add(local, errs, firstErr)
			mu.Unlock()
		})
	}
	wg.Wait()
	st.wall = time.Since(start)
	return st
}

// restLoad measures the hot REST operations of one workspace at each of -rest-sizes: a page of
// 50 work items (default sort), a random work item, a status change (each client flips its own
// item), the overview, a 1 MiB upload. Client c is member users[c+1] with its own token, on
// server c % len(servers); the owner (users[0]) deletes the uploads after each size.
func (b *bench) restLoad(ctx context.Context) (*result, error) {
	k, d, sizes := b.cfg.restClients, b.cfg.restDuration, b.cfg.restSizes
	per := d / time.Duration(len(restOps))
	users, err := b.ensureUsers(ctx, k+1)
	if err != nil {
		return nil, err
	}
	wid, err := b.workspace(ctx, users)
	if err != nil {
		return nil, err
	}
	owner := users[0]
	sd := &seeder{b: b, wid: wid, users: users, base: time.Now().UTC().Truncate(24 * time.Hour)}
	for _, u := range users {
		sd.assignees = append(sd.assignees, u.id)
	}
	fill := make([]byte, uploadBytes-uploadNonce)
	rng := rand.NewChaCha8([32]byte{})
	_, _ = rng.Read(fill)
	bodies := make([]*uploadBody, k)
	for c := range k {
		if bodies[c], err = newUploadBody(fmt.Sprintf("wsbench-%d.bin", c), fmt.Sprintf("wsbench upload %d", c), fill); err != nil {
			return nil, err
		}
	}

	res := &result{Pass: true}
	res.Params.add("clients", k)
	res.Params.add("sizes", joinInts(sizes))
	res.Params.add("seconds_per_op", round2(per.Seconds()))
	res.Params.add("seed_in_flight", seedInFlight)
	res.Params.add("upload_bytes", uploadBytes)
	b.logf("rest: %d clients; sizes %v; %s per operation per size", k, sizes, per.Round(time.Millisecond))

	var rows []restRow
	var flips []seeded // client c flips flips[c], taken from the first size's items
	var uploaded, deleted, deleteErrs int64
	var stopped error
	var seedN int
	var seedWall time.Duration
	for _, size := range sizes {
		from := sd.count()
		st, err := sd.growTo(ctx, size)
		rows = append(rows, newRestRow(size, seedOp, st))
		seedN, seedWall = seedN+len(st.lats), seedWall+st.wall
		if err != nil {
			stopped = fmt.Errorf("seeding to %d work items: %w", size, err)
			break
		}
		b.logf("rest: seeded %d → %d work items in %s (%.0f/s, %d failed)", from, size, st.wall.Round(time.Millisecond),
			perSecond(int64(size-from), st.wall), st.errs)
		if flips == nil {
			flips = append([]seeded(nil), sd.items[:k]...)
		}
		b.pause(ctx) // let the store settle after the writes
		items := sd.items
		docs := make([][]string, k)
		calls := map[string]func(ctx context.Context, c int) error{
			"list_work_items": func(ctx context.Context, c int) error {
				return b.apis[c%len(b.apis)].listWorkItems(ctx, users[c+1].token, wid)
			},
			"get_work_item": func(ctx context.Context, c int) error {
				_, err := b.apis[c%len(b.apis)].getWorkItem(ctx, users[c+1].token, wid, items[rand.IntN(len(items))].id)
				return err
			},
			"status_change": func(ctx context.Context, c int) error {
				a, it := b.apis[c%len(b.apis)], &flips[c]
				next := flipTo(it.status)
				if err := a.setStatus(ctx, users[c+1].token, wid, it.id, next); err != nil {
					// Whether it moved is unknown: read the status back (untimed) for the next flip.
					if s, gerr := a.getWorkItem(ctx, users[c+1].token, wid, it.id); gerr == nil {
						it.status = s
					}
					return err
				}
				it.status = next
				return nil
			},
			"overview": func(ctx context.Context, c int) error {
				return b.apis[c%len(b.apis)].overview(ctx, users[c+1].token, wid)
			},
			"upload_1mib": func(ctx context.Context, c int) error {
				var nonce [uploadNonce]byte
				binary.BigEndian.PutUint64(nonce[:8], uint64(c))
				binary.BigEndian.PutUint64(nonce[8:], uint64(len(docs[c])))
				body, n := bodies[c].reader(nonce)
				id, err := b.apis[c%len(b.apis)].uploadDocument(ctx, users[c+1].token, wid, bodies[c].contentType, body, n)
				if err == nil {
					docs[c] = append(docs[c], id)
				}
				return err
			},
		}
		for _, op := range restOps {
			if ctx.Err() != nil {
				break
			}
			rows = append(rows, newRestRow(size, op, measure(ctx, k, per, calls[op])))
		}
		// Untimed: the uploads go, so every size starts from the same documents (and a tmpfs
		// store does not fill memory with them).
		var all []string
		for _, ds := range docs {
			all = append(all, ds...)
		}
		uploaded += int64(len(all))
		var mu sync.Mutex
		_ = parallel(ctx, len(all), deleteInFlight, func(ctx context.Context, i int) error {
			err := b.rest.deleteDocument(ctx, owner.token, wid, all[i])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				deleteErrs++
				if deleteErrs == 1 {
					res.Notes = append(res.Notes, "deleting an upload: first error: "+err.Error())
				}
				return nil
			}
			deleted++
			return nil
		})
		if ctx.Err() != nil {
			stopped = ctx.Err()
			break
		}
	}
	if len(rows) <= 1 && stopped != nil {
		return nil, stopped
	}

	m := &res.Metrics
	m.add("work_items_seeded", sd.count())
	seedRate := perSecond(int64(seedN), seedWall)
	m.add("seed_items_per_s", seedRate)
	growth, within, gtext := restGrowth(rows)
	*m = append(*m, growth...)
	if len(sizes) > 1 {
		m.add("largest_within_2x_of_smallest", within)
	}
	m.add("uploads", uploaded)
	m.add("uploads_deleted", deleted)
	m.add("upload_delete_errors", deleteErrs)
	for _, r := range rows {
		res.Rows = append(res.Rows, r.fields())
		if r.errs > 0 {
			res.Pass = false
			res.Notes = append(res.Notes, fmt.Sprintf("%s at %d items: %d failed, the first: %s", r.op, r.items, r.errs, r.firstErr))
		}
	}
	if deleteErrs > 0 {
		res.Pass = false
	}
	if stopped != nil {
		res.Pass = false
		res.Notes = append(res.Notes, "stopped early: "+stopped.Error())
	}
	res.Notes = append(res.Notes,
		fmt.Sprintf("%s: the seeding of each size, %d creates in flight, by the workspace's %d users in turn; its latency is the create's, its rate work items per second including the status moves of 40%% of them", seedOp, seedInFlight, len(users)),
		"list_work_items: GET a page of 50 (default sort, newest first); get_work_item: GET a random seeded item; status_change: each client flips its own item (DRAFT ↔ ACTIVE); overview: GET the overview; upload_1mib: POST a 1 MiB file (random bytes) as multipart/form-data",
		"uploads are deleted after each size by the owner, untimed, so every size is measured with the same documents (none)",
		"met: the operation's target at that size (performance only; errors make it no); correct: no request failed")
	res.Headline = restHeadline(rows, gtext, seedRate)
	res.Target = restTargetText
	return res, nil
}

// restHeadline is the largest size's figures, the growth from the smallest and the seeding rate.
func restHeadline(rows []restRow, growth []string, seedRate float64) string {
	last := map[string]restRow{}
	lastSize := 0
	for _, r := range rows {
		if _, ok := restTargets[r.op]; ok {
			last[r.op] = r
			lastSize = max(lastSize, r.items)
		}
	}
	var parts []string
	for _, op := range restOps {
		r, ok := last[op]
		if !ok {
			continue
		}
		if restTargets[op].minPerS > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f/s p99 %.1f ms", shortOp(op), r.perS, ms(r.lat.P99)))
		} else {
			parts = append(parts, fmt.Sprintf("%s p99 %.1f ms", shortOp(op), ms(r.lat.P99)))
		}
	}
	h := fmt.Sprintf("at %d items: %s", lastSize, strings.Join(parts, ", "))
	if len(growth) > 0 {
		h += "; p99 vs smallest: " + strings.Join(growth, ", ")
	}
	return h + fmt.Sprintf("; seeding %.0f items/s", seedRate)
}

// joinInts is ns comma-separated, as -rest-sizes takes them.
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
