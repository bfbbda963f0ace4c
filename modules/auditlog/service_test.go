package auditlog_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/page"
)

var (
	ctx    = context.Background()
	wsA    = ids.New()
	wsB    = ids.New()
	member = ids.New()
	stray  = ids.New()
	t0     = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
)

var errNotFound = apperr.New(apperr.NotFound, "workspace_not_found", "workspace not found")

// members lets its users read the audit log of wsA only, as the workspace module's table does
// for every role.
type members map[string]bool

func (m members) Authorize(_ context.Context, wid, uid string, a authz.Action) error {
	if !m[uid] || wid != wsA || a != authz.AuditLogRead {
		return errNotFound
	}
	return nil
}

// recorder is a Broadcaster that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	entries []auditlog.Entry
}

func (r *recorder) Broadcast(_ context.Context, e auditlog.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

func (r *recorder) got() []auditlog.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.entries)
}

// flaky fails its first failures appends (all of them when failures < 0), then appends to repo.
type flaky struct {
	auditlog.Repository
	mu       sync.Mutex
	failures int
	calls    int
}

func (f *flaky) Append(ctx context.Context, e auditlog.Entry) (auditlog.Entry, error) {
	f.mu.Lock()
	f.calls++
	fail := f.failures < 0 || f.calls <= f.failures
	f.mu.Unlock()
	if fail {
		return auditlog.Entry{}, errors.New("store down")
	}
	return f.Repository.Append(ctx, e)
}

type fixture struct {
	svc   *auditlog.Service
	repo  *memory.Store
	flaky *flaky
	bc    *recorder
}

// newFixture returns the service on a memory store whose first failures appends fail.
func newFixture(t *testing.T, failures int) *fixture {
	t.Helper()
	f := &fixture{repo: memory.NewStore(), bc: &recorder{}}
	f.flaky = &flaky{Repository: f.repo, failures: failures}
	svc, err := auditlog.NewService(f.flaky, members{member: true}, f.bc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func event(name events.Name, wid string, n int) events.Event {
	return events.Event{
		Name: name, WorkspaceID: wid, TargetType: events.TargetWorkItem, TargetID: ids.New(), ActorID: member,
		At: t0.Add(time.Duration(n) * time.Minute), Data: map[string]any{"n": n},
	}
}

func TestNewServiceRequiresEveryDependency(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		repo auditlog.Repository
		az   authz.Authorizer
		bc   auditlog.Broadcaster
		log  *slog.Logger
	}{
		{nil, members{}, auditlog.NoBroadcast{}, log},
		{memory.NewStore(), nil, auditlog.NoBroadcast{}, log},
		{memory.NewStore(), members{}, nil, log},
		{memory.NewStore(), members{}, auditlog.NoBroadcast{}, nil},
	} {
		if _, err := auditlog.NewService(tc.repo, tc.az, tc.bc, tc.log); err == nil {
			t.Errorf("NewService(%v, %v, %v, %v) accepted a nil dependency", tc.repo, tc.az, tc.bc, tc.log)
		}
	}
}

func TestPublishAppendsAndBroadcastsTheStoredEntry(t *testing.T) {
	f := newFixture(t, 0)
	e := event(events.WorkItemStatusChanged, wsA, 1)
	f.svc.Publish(ctx, e)
	f.svc.Publish(ctx, event(events.DocumentUploaded, wsA, 2))
	f.svc.Publish(ctx, event(events.WorkspaceCreated, wsB, 3))

	stored, err := f.repo.Since(ctx, wsA, 0, 10)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored %v, %v", stored, err)
	}
	got := stored[0]
	if got.ID == "" || got.Seq != 1 || got.WorkspaceID != wsA || got.Action != "WORK_ITEM_STATUS_CHANGED" ||
		got.Event != events.WorkItemStatusChanged || got.TargetType != e.TargetType || got.TargetID != e.TargetID ||
		got.ActorID != member || !got.At.Equal(e.At) || got.Data["n"] != 1 {
		t.Fatalf("stored %+v for %+v", got, e)
	}
	if stored[1].Seq != 2 || stored[1].Action != "DOCUMENT_UPLOADED" {
		t.Fatalf("second entry %+v", stored[1])
	}
	broadcast := f.bc.got()
	if len(broadcast) != 3 {
		t.Fatalf("%d entries broadcast, want 3", len(broadcast))
	}
	for i, want := range []auditlog.Entry{stored[0], stored[1]} {
		if b := broadcast[i]; b.ID != want.ID || b.Seq != want.Seq || b.WorkspaceID != wsA || b.Action != want.Action {
			t.Fatalf("broadcast %+v, want the stored %+v", b, want)
		}
	}
	if b := broadcast[2]; b.WorkspaceID != wsB || b.Seq != 1 || b.Action != "WORKSPACE_CREATED" {
		t.Fatalf("broadcast %+v, want seq 1 of wsB", b)
	}
	if n := f.svc.Failures(); n != 0 {
		t.Fatalf("%d failures", n)
	}
}

func TestPublishSkipsEventsOutsideWorkspaces(t *testing.T) {
	f := newFixture(t, 0)
	f.svc.Publish(ctx, event(events.UserRegistered, "", 1))
	if f.flaky.calls != 0 || len(f.bc.got()) != 0 || f.svc.Failures() != 0 {
		t.Fatalf("an event outside any workspace reached the log: %d appends, %d broadcasts, %d failures",
			f.flaky.calls, len(f.bc.got()), f.svc.Failures())
	}
}

func TestPublishCountsEventsOutsideTheCatalogue(t *testing.T) {
	f := newFixture(t, 0)
	f.svc.Publish(ctx, event("work-item:exploded", wsA, 1))
	if f.flaky.calls != 0 || len(f.bc.got()) != 0 || f.svc.Failures() != 1 {
		t.Fatalf("unknown event: %d appends, %d broadcasts, %d failures", f.flaky.calls, len(f.bc.got()), f.svc.Failures())
	}
}

// The retry tests wait through the real backoff (50 ms + 100 ms, and 1.55 s in all when every
// attempt fails): the service's sleep is unexported and an internal test cannot use the memory
// store (memory imports auditlog), so they run in parallel instead.
func TestPublishRetriesAFailingAppend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	cancelled, cancel := context.WithCancel(ctx)
	cancel() // the request that caused the event may be gone: the entry is still written
	f.svc.Publish(cancelled, event(events.WorkItemCreated, wsA, 1))
	if f.flaky.calls != 3 {
		t.Fatalf("%d append attempts, want 3", f.flaky.calls)
	}
	stored, _ := f.repo.Since(ctx, wsA, 0, 10)
	broadcast := f.bc.got()
	if len(stored) != 1 || len(broadcast) != 1 || broadcast[0].Seq != 1 || broadcast[0].ID != stored[0].ID {
		t.Fatalf("stored %v, broadcast %v", stored, broadcast)
	}
	if n := f.svc.Failures(); n != 0 {
		t.Fatalf("%d failures after a successful retry", n)
	}
}

func TestPublishCountsAnAppendThatAlwaysFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, -1)
	start := time.Now()
	f.svc.Publish(ctx, event(events.WorkItemCreated, wsA, 1))
	if f.flaky.calls != 6 {
		t.Fatalf("%d append attempts, want 6", f.flaky.calls)
	}
	if waited := time.Since(start); waited < 1500*time.Millisecond {
		t.Fatalf("gave up after %v, want the whole backoff (1.55 s)", waited)
	}
	if len(f.bc.got()) != 0 || f.svc.Failures() != 1 {
		t.Fatalf("%d broadcasts, %d failures; want 0 and 1", len(f.bc.got()), f.svc.Failures())
	}
	// The next event is logged normally.
	f.flaky.mu.Lock()
	f.flaky.failures = 0
	f.flaky.mu.Unlock()
	f.svc.Publish(ctx, event(events.WorkItemCreated, wsA, 2))
	if b := f.bc.got(); len(b) != 1 || b[0].Seq != 1 || f.svc.Failures() != 1 {
		t.Fatalf("after recovery: broadcast %v, %d failures", b, f.svc.Failures())
	}
}

func TestList(t *testing.T) {
	f := newFixture(t, 0)
	names := []events.Name{events.WorkItemCreated, events.DocumentUploaded, events.WorkItemCreated, events.OverviewUpdated, events.WorkItemUpdated}
	for i, n := range names {
		f.svc.Publish(ctx, event(n, wsA, i))
	}
	f.svc.Publish(ctx, event(events.WorkItemCreated, wsB, 9))

	t.Run("non-members see nothing", func(t *testing.T) {
		for _, tc := range []struct{ actor, wid string }{{stray, wsA}, {member, wsB}} {
			if _, err := f.svc.List(ctx, tc.actor, tc.wid, auditlog.ListInput{Limit: 10}); apperr.KindOf(err) != apperr.NotFound {
				t.Fatalf("list of %s by %s: %v, want NotFound", tc.wid, tc.actor, err)
			}
		}
	})

	t.Run("validation", func(t *testing.T) {
		from, to := t0, t0.Add(time.Hour)
		for name, in := range map[string]auditlog.ListInput{
			"unknown action":     {Actions: []string{"WORK_ITEM_CREATED", "WORK_ITEM_EXPLODED"}},
			"event name":         {Actions: []string{string(events.WorkItemCreated)}},
			"from after to":      {From: &to, To: &from},
			"from equal to":      {From: &from, To: &from},
			"malformed cursor":   {Cursor: "%%%"},
			"cursor of no seq":   {Cursor: page.EncodeCursor("abc")},
			"cursor of seq zero": {Cursor: page.EncodeCursor("0")},
			"two-part cursor":    {Cursor: page.EncodeCursor("3", "x")},
		} {
			in.Limit = 10
			if _, err := f.svc.List(ctx, member, wsA, in); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: %v, want Invalid", name, err)
			}
		}
	})

	t.Run("pages newest first with the cursor", func(t *testing.T) {
		var got []int64
		in := auditlog.ListInput{Limit: 2}
		for range 10 {
			p, err := f.svc.List(ctx, member, wsA, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Items {
				got = append(got, e.Seq)
			}
			if p.NextCursor == "" {
				break
			}
			if len(p.Items) != 2 {
				t.Fatalf("a page of %d before the last", len(p.Items))
			}
			in.Cursor = p.NextCursor
		}
		if !slices.Equal(got, []int64{5, 4, 3, 2, 1}) {
			t.Fatalf("paged %v", got)
		}
		// A page that ends exactly at the last entry has no next cursor.
		p, err := f.svc.List(ctx, member, wsA, auditlog.ListInput{Limit: 5})
		if err != nil || len(p.Items) != 5 || p.NextCursor != "" {
			t.Fatalf("full page: %d items, cursor %q, %v", len(p.Items), p.NextCursor, err)
		}
	})

	t.Run("filters reach the repository", func(t *testing.T) {
		from, to := t0.Add(time.Minute), t0.Add(4*time.Minute)
		for name, tc := range map[string]struct {
			in   auditlog.ListInput
			want []int64
		}{
			"actions":     {auditlog.ListInput{Actions: []string{"WORK_ITEM_CREATED"}}, []int64{3, 1}},
			"actor":       {auditlog.ListInput{ActorID: stray}, nil},
			"target type": {auditlog.ListInput{TargetType: events.TargetWorkItem}, []int64{5, 4, 3, 2, 1}},
			"time":        {auditlog.ListInput{From: &from, To: &to}, []int64{4, 3, 2}},
			"paged filter": {
				auditlog.ListInput{Actions: []string{"WORK_ITEM_CREATED", "WORK_ITEM_UPDATED"}, Limit: 1, Cursor: page.EncodeCursor("5")},
				[]int64{3},
			},
		} {
			if tc.in.Limit == 0 {
				tc.in.Limit = 10
			}
			p, err := f.svc.List(ctx, member, wsA, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range p.Items {
				got = append(got, e.Seq)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", name, got, tc.want)
			}
		}
	})
}

func TestRecentLeavesOutOverviewNotifications(t *testing.T) {
	f := newFixture(t, 0)
	for i, n := range []events.Name{events.WorkItemCreated, events.OverviewUpdated, events.DocumentUploaded, events.OverviewUpdated, events.MemberJoined} {
		f.svc.Publish(ctx, event(n, wsA, i))
	}
	got, err := f.svc.Recent(ctx, wsA, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got {
		actions = append(actions, e.Action)
	}
	if want := []string{"WORKSPACE_MEMBER_JOINED", "DOCUMENT_UPLOADED", "WORK_ITEM_CREATED"}; !slices.Equal(actions, want) {
		t.Fatalf("recent %v, want %v", actions, want)
	}
	if got, _ := f.svc.Recent(ctx, wsA, 2); len(got) != 2 || got[0].Seq != 5 {
		t.Fatalf("recent with limit 2: %v", got)
	}
}

func TestSinceAndHead(t *testing.T) {
	f := newFixture(t, 0)
	if head, err := f.svc.Head(ctx, wsA); err != nil || head != 0 {
		t.Fatalf("head of an empty log = %d, %v", head, err)
	}
	for i := range 3 {
		f.svc.Publish(ctx, event(events.WorkItemCreated, wsA, i))
	}
	if head, err := f.svc.Head(ctx, wsA); err != nil || head != 3 {
		t.Fatalf("head = %d, %v", head, err)
	}
	got, err := f.svc.Since(ctx, wsA, 1, 10)
	if err != nil || len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 {
		t.Fatalf("since 1 = %v, %v", got, err)
	}
}

// order records which receiver got each entry, to show the order receivers are called in.
type order struct {
	name string
	log  *[]string
	mu   *sync.Mutex
}

func (o order) Broadcast(_ context.Context, e auditlog.Entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	*o.log = append(*o.log, fmt.Sprintf("%s:%d", o.name, e.Seq))
}

func TestSubscribersHearStoredEntriesAfterTheBroadcaster(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	svc, err := auditlog.NewService(memory.NewStore(), members{member: true}, order{"bus", &got, &mu}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	svc.Publish(ctx, event(events.WorkItemCreated, wsA, 1)) // before the subscription: the bus alone
	svc.Subscribe(order{"overview", &got, &mu})
	svc.Publish(ctx, event(events.WorkItemUpdated, wsA, 2))
	svc.Publish(ctx, events.Event{Name: events.UserRegistered}) // no workspace: not stored, nobody hears
	if want := []string{"bus:1", "bus:2", "overview:2"}; !slices.Equal(got, want) {
		t.Fatalf("receivers heard %v, want %v", got, want)
	}
}
