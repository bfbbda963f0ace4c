package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/webhook/memory"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/racetest"
)

var ctx = context.Background()

type fakeLog struct {
	mu      sync.Mutex
	entries map[string][]Entry
}

func (l *fakeLog) add(wid, event string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		l.entries = map[string][]Entry{}
	}
	seq := int64(len(l.entries[wid]) + 1)
	l.entries[wid] = append(l.entries[wid], Entry{Seq: seq, Event: event, At: time.Unix(1000+seq, 0).UTC(), Data: map[string]any{"targetId": "t"}})
}

func (l *fakeLog) Since(_ context.Context, wid string, after int64, limit int) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.entries[wid]
	if after >= int64(len(all)) {
		return nil, nil
	}
	rest := all[after:]
	return append([]Entry(nil), rest[:min(limit, len(rest))]...), nil
}

func (l *fakeLog) Head(_ context.Context, wid string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.entries[wid])), nil
}

// receiver is a Sender that answers the statuses queued (200 once they run out) and keeps
// every request.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []Request
	refused  bool
	during   func() // runs while a request is being answered
}

func (r *receiver) Send(_ context.Context, req Request) Response {
	if r.during != nil {
		r.during()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req)
	status := 200
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	return Response{Status: status, Duration: 3 * time.Millisecond}
}

func (r *receiver) CheckDestination(context.Context, string) error {
	if r.refused {
		return ErrDestination
	}
	return nil
}

// seqs returns the seq of every request received, in order.
func (r *receiver) seqs(t *testing.T) []int64 {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, req := range r.got {
		var p Payload
		if err := json.Unmarshal(req.Body, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Seq)
	}
	return out
}

func (r *receiver) last() Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1]
}

type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, authz.Action) error { return nil }

// attempts records what the dispatcher tells its AttemptObserver.
type attempts struct {
	mu       sync.Mutex
	statuses []string
}

func (a *attempts) WebhookAttempt(status string, _ time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.statuses = append(a.statuses, status)
}

type rig struct {
	seen  *attempts
	repo  *memory.Store
	log   *fakeLog
	rcv   *receiver
	clock *clock.Manual
	pub   *events.Recorder
	d     *Dispatcher
	svc   *Service
}

func newRig(t *testing.T, owner string, retry ...time.Duration) *rig {
	t.Helper()
	r := &rig{seen: &attempts{}, repo: memory.NewStore(), log: &fakeLog{}, rcv: &receiver{}, clock: clock.NewManual(time.Unix(1_000_000, 0)), pub: &events.Recorder{}}
	return r.with(t, owner, retry...)
}

// with builds another instance on the same store, log, receiver and clock.
func (r rig) with(t *testing.T, owner string, retry ...time.Duration) *rig {
	t.Helper()
	d, err := NewDispatcher(r.repo, r.log, r.rcv, r.pub, r.clock, slog.New(slog.DiscardHandler), Options{
		Owner: owner, Retry: retry, Lease: 30 * time.Second, Jitter: func(d time.Duration) time.Duration { return d },
		Attempts: r.seen,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Deps{Repo: r.repo, Log: r.log, Sender: r.rcv, Authz: allowAll{}, Dispatcher: d, Clock: r.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r.d, r.svc = d, svc
	return &r
}

func (r *rig) create(t *testing.T, evs ...string) Webhook {
	t.Helper()
	w, err := r.svc.Create(ctx, "u1", "ws1", CreateInput{URL: "https://hooks.example.com/in", Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (r *rig) get(t *testing.T, id string) Webhook {
	t.Helper()
	w, err := r.repo.Get(ctx, "ws1", id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func equalSeqs(t *testing.T, got []int64, want ...int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("received seqs %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("received seqs %v, want %v", got, want)
		}
	}
}

// Matching entries after the cursor are delivered in seq order, signed, with the documented
// body and headers; the cursor ends on the last entry read.
func TestDispatcherDeliversInOrderSigned(t *testing.T) {
	r := newRig(t, "a")
	r.log.add("ws1", "work-item:created") // before the webhook: never delivered
	w := r.create(t, "work-item:created", "document:uploaded")
	for _, e := range []string{"work-item:created", "overview:updated", "document:uploaded", "work-item:created", "overview:updated"} {
		r.log.add("ws1", e)
	}
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 2, 4, 5)
	if got := r.get(t, w.ID); got.Cursor != 6 || got.Pending != nil || got.LeaseOwner != "" {
		t.Fatalf("after the pass: cursor %d, pending %v, lease %q; want 6, none, released", got.Cursor, got.Pending, got.LeaseOwner)
	}
	req := r.rcv.last()
	var p Payload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.WebhookID != w.ID || p.WorkspaceID != "ws1" || p.Event != "work-item:created" || p.Data["targetId"] != "t" || p.ID == "" ||
		p.At != "1970-01-01T00:16:45Z" {
		t.Fatalf("payload %+v", p)
	}
	h := req.Header
	if h[HeaderDelivery] != p.ID || h[HeaderSeq] != "5" || h[HeaderEvent] != "work-item:created" || h["User-Agent"] != UserAgent ||
		h["Content-Type"] != "application/json" || h[HeaderSignature] != Sign(w.Secret, r.clock.Now(), req.Body) {
		t.Fatalf("headers %v", h)
	}
	if !strings.HasPrefix(h[HeaderSignature], "t=1000000,v1=") || len(h[HeaderSignature]) != len("t=1000000,v1=")+64 {
		t.Fatalf("signature %q", h[HeaderSignature])
	}
}

// A failed delivery holds the later ones until its retry comes due, keeps its delivery id on
// every try, and the log shows each attempt.
func TestDispatcherHoldsOnFailureAndBacksOff(t *testing.T) {
	r := newRig(t, "a", time.Minute, 5*time.Minute)
	w := r.create(t, "*")
	r.rcv.statuses = []int{500, 503}
	r.log.add("ws1", "work-item:created")
	r.log.add("ws1", "work-item:updated")
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1)
	got := r.get(t, w.ID)
	if got.Cursor != 0 || got.Pending == nil || got.Pending.Attempt != 1 || !got.Pending.NextAt.Equal(r.clock.Now().Add(time.Minute)) {
		t.Fatalf("after one failure: cursor %d, pending %+v", got.Cursor, got.Pending)
	}
	firstID := r.rcv.last().Header[HeaderDelivery]

	r.d.Pass(ctx) // not due yet: nothing is sent, the later entry waits
	equalSeqs(t, r.rcv.seqs(t), 1)
	r.clock.Advance(59 * time.Second)
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1)

	r.clock.Advance(time.Second)
	r.d.Pass(ctx) // second try fails (503): the next waits 5 minutes
	equalSeqs(t, r.rcv.seqs(t), 1, 1)
	if got := r.get(t, w.ID); got.Pending == nil || got.Pending.Attempt != 2 || !got.Pending.NextAt.Equal(r.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("after two failures: pending %+v", got.Pending)
	}
	r.clock.Advance(5 * time.Minute)
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1, 1, 1, 2)
	for i, req := range r.rcv.got[:3] {
		if req.Header[HeaderDelivery] != firstID {
			t.Fatalf("try %d has delivery id %s, want %s", i+1, req.Header[HeaderDelivery], firstID)
		}
	}
	p, err := r.svc.Deliveries(ctx, "u1", "ws1", w.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, a := range p.Items {
		statuses = append(statuses, a.Status)
	}
	if strings.Join(statuses, ",") != "succeeded,succeeded,pending,pending" || p.Items[3].ResponseStatus != 500 || p.Items[3].Error != "the receiver answered 500" {
		t.Fatalf("deliveries log %v %+v", statuses, p.Items)
	}
	if got := strings.Join(r.seen.statuses, ","); got != "pending,pending,succeeded,succeeded" {
		t.Fatalf("attempts observed (the metrics): %s", got)
	}
}

// After the last try the webhook is deactivated with a reason and an audit event; activating
// it again resumes from its cursor, with the same entry first.
func TestDispatcherDeactivatesAfterLastTryAndResumes(t *testing.T) {
	r := newRig(t, "a", time.Second)
	w := r.create(t, "work-item:created")
	r.rcv.statuses = []int{500, 500}
	r.log.add("ws1", "work-item:created")
	r.log.add("ws1", "work-item:created")
	r.d.Pass(ctx)
	r.clock.Advance(time.Second)
	r.d.Pass(ctx)
	got := r.get(t, w.ID)
	if got.Active || !strings.Contains(got.DisabledReason, "seq 1 failed 2 times") || got.Cursor != 0 {
		t.Fatalf("after the last try: active %v, reason %q, cursor %d", got.Active, got.DisabledReason, got.Cursor)
	}
	evs := r.pub.Events()
	if len(evs) != 1 || evs[0].Name != events.WebhookDisabled || evs[0].TargetID != w.ID || evs[0].WorkspaceID != "ws1" || evs[0].Data["seq"] != int64(1) {
		t.Fatalf("events %+v", evs)
	}
	r.clock.Advance(time.Hour)
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1, 1) // inactive: nothing more

	on := true
	if _, err := r.svc.Update(ctx, "u1", "ws1", w.ID, UpdateInput{Active: &on}); err != nil {
		t.Fatal(err)
	}
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1, 1, 1, 2)
	if got := r.get(t, w.ID); !got.Active || got.DisabledReason != "" || got.Cursor != 2 {
		t.Fatalf("after resuming: %+v", got)
	}
}

// Replay moves the cursor back: everything after since is delivered again, in order; since
// beyond the log is refused.
func TestReplay(t *testing.T) {
	r := newRig(t, "a")
	w := r.create(t, "*")
	for range 4 {
		r.log.add("ws1", "work-item:created")
	}
	r.d.Pass(ctx)
	if _, err := r.svc.Replay(ctx, "u1", "ws1", w.ID, 5); !errors.Is(err, ErrBadSince) {
		t.Fatalf("since beyond the head: %v", err)
	}
	if _, err := r.svc.Replay(ctx, "u1", "ws1", w.ID, -1); !errors.Is(err, ErrBadSince) {
		t.Fatalf("negative since: %v", err)
	}
	if _, err := r.svc.Replay(ctx, "u1", "ws1", w.ID, 2); err != nil {
		t.Fatal(err)
	}
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1, 2, 3, 4, 3, 4)
}

// Redeliver sends one delivery again with its id, out of band: the cursor stays.
func TestRedeliver(t *testing.T) {
	r := newRig(t, "a")
	w := r.create(t, "*")
	r.log.add("ws1", "work-item:created")
	r.log.add("ws1", "work-item:deleted")
	r.d.Pass(ctx)
	first := r.rcv.got[0].Header[HeaderDelivery]
	if err := r.svc.Redeliver(ctx, "u1", "ws1", w.ID, "unknown"); !errors.Is(err, ErrDeliveryNotFound) {
		t.Fatalf("unknown delivery: %v", err)
	}
	if err := r.svc.Redeliver(ctx, "u1", "ws1", w.ID, first); err != nil {
		t.Fatal(err)
	}
	r.d.Pass(ctx)
	equalSeqs(t, r.rcv.seqs(t), 1, 2, 1)
	if id := r.rcv.last().Header[HeaderDelivery]; id != first {
		t.Fatalf("redelivered as %s, want %s", id, first)
	}
	if got := r.get(t, w.ID); got.Cursor != 2 {
		t.Fatalf("cursor %d after a redelivery, want 2", got.Cursor)
	}
	last, err := r.repo.LastAttempt(ctx, w.ID, first)
	if err != nil || last.Attempt != 2 || last.Status != StatusSucceeded {
		t.Fatalf("redelivery attempt %+v, %v", last, err)
	}
}

// One instance delivers a webhook at a time: another waits while the lease is held and takes
// over from the cursor once it expires.
func TestLeaseTakeover(t *testing.T) {
	a := newRig(t, "a")
	b := a.with(t, "b")
	w := a.create(t, "*")
	a.log.add("ws1", "work-item:created")
	// a holds the lease (as if it were delivering, then died without letting go).
	if _, _, err := a.repo.Update(ctx, "ws1", w.ID, func(x *Webhook) (bool, error) {
		x.LeaseOwner, x.LeaseUntil = "a", a.clock.Now().Add(30*time.Second)
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	b.d.Pass(ctx)
	equalSeqs(t, a.rcv.seqs(t))
	a.clock.Advance(31 * time.Second)
	b.d.Pass(ctx)
	equalSeqs(t, a.rcv.seqs(t), 1)
	if got := a.get(t, w.ID); got.Cursor != 1 {
		t.Fatalf("cursor %d", got.Cursor)
	}
}

// Create validates its input and the destination, and caps webhooks per workspace.
func TestCreateValidates(t *testing.T) {
	r := newRig(t, "a")
	short := "short"
	for name, in := range map[string]CreateInput{
		"http":         {URL: "http://hooks.example.com/", Events: []string{"*"}},
		"credentials":  {URL: "https://u:p@hooks.example.com/", Events: []string{"*"}},
		"relative":     {URL: "/hooks", Events: []string{"*"}},
		"too long":     {URL: "https://hooks.example.com/" + strings.Repeat("a", MaxURLLength), Events: []string{"*"}},
		"no events":    {URL: "https://hooks.example.com/"},
		"unknown":      {URL: "https://hooks.example.com/", Events: []string{"work-item:exploded"}},
		"star mixed":   {URL: "https://hooks.example.com/", Events: []string{"*", "work-item:created"}},
		"short secret": {URL: "https://hooks.example.com/", Events: []string{"*"}, Secret: &short},
	} {
		if _, err := r.svc.Create(ctx, "u1", "ws1", in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r.rcv.refused = true
	if _, err := r.svc.Create(ctx, "u1", "ws1", CreateInput{URL: "https://hooks.example.com/", Events: []string{"*"}}); !errors.Is(err, ErrDestination) {
		t.Fatalf("refused destination: %v", err)
	}
	r.rcv.refused = false
	capped, err := NewService(Deps{Repo: r.repo, Log: r.log, Sender: r.rcv, Authz: allowAll{}, Dispatcher: r.d, Clock: r.clock,
		Logger: slog.New(slog.DiscardHandler), MaxPerWorkspace: 2})
	if err != nil {
		t.Fatal(err)
	}
	r.svc = capped
	r.create(t, "*")
	w := r.create(t, "*")
	if len(w.Secret) < 32 {
		t.Fatalf("generated secret %q", w.Secret)
	}
	if _, err := r.svc.Create(ctx, "u1", "ws1", CreateInput{URL: "https://hooks.example.com/", Events: []string{"*"}}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third webhook: %v", err)
	}
}

// A receiver slower than the lease does not let another instance in: the lease is renewed
// while the request is in flight.
func TestLeaseRenewedDuringASlowDelivery(t *testing.T) {
	r := newRig(t, "a")
	w := r.create(t, "*")
	r.log.add("ws1", "work-item:created")
	held := false
	r.rcv.during = func() {
		r.clock.Advance(40 * time.Second) // past the 30 s lease taken before sending
		got := r.get(t, w.ID)
		held = got.LeaseOwner == "a" && got.LeaseUntil.After(r.clock.Now())
	}
	r.d.Pass(ctx)
	if !held {
		t.Fatal("the lease expired during a slow delivery")
	}
	equalSeqs(t, r.rcv.seqs(t), 1)
}

// barrierStore holds every Count, once read, at its barrier: racing creations at the limit
// all find room before any of them stores its webhook.
type barrierStore struct {
	*memory.Store
	barrier *racetest.Barrier
}

func (b *barrierStore) Count(ctx context.Context, workspaceID string) (int, error) {
	n, err := b.Store.Count(ctx, workspaceID)
	b.barrier.Hold()
	return n, err
}

// Creations racing at the limit never leave a workspace over it.
func TestTheWebhookLimitHoldsUnderRacingCreates(t *testing.T) {
	const limit, racers = 2, 5
	r := newRig(t, "a")
	repo := &barrierStore{Store: r.repo, barrier: racetest.NewBarrier(racers)}
	svc, err := NewService(Deps{Repo: repo, Log: r.log, Sender: r.rcv, Authz: allowAll{}, Dispatcher: r.d, Clock: r.clock,
		Logger: slog.New(slog.DiscardHandler), MaxPerWorkspace: limit})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range racers {
		wg.Go(func() {
			_, err := svc.Create(ctx, "u1", "ws1", CreateInput{URL: "https://hooks.example.com/in", Events: []string{"*"}})
			if err != nil && !errors.Is(err, ErrTooMany) {
				t.Errorf("a racing create: %v", err)
			}
			if err == nil {
				mu.Lock()
				created++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	n, err := r.repo.Count(ctx, "ws1")
	if err != nil || n > limit || n != created {
		t.Fatalf("%d webhooks stored, %d creations answered success (limit %d), %v", n, created, limit, err)
	}
}
