package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	auditlogmem "github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// fakes

type fakeAuth struct {
	mu     sync.Mutex
	tokens map[string]identity.Principal
	clock  clock.Clock
}

// storeDownToken is a token whose check fails as when the database does not answer.
const storeDownToken = "store-down"

func (a *fakeAuth) Verify(_ context.Context, tok string) (identity.Principal, error) {
	if tok == storeDownToken {
		return identity.Principal{}, problem.StoreDown(errors.New("users: i/o timeout"))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.tokens[tok]
	if !ok || !a.clock.Now().Before(p.ExpiresAt) {
		return identity.Principal{}, identity.ErrInvalidToken
	}
	return p, nil
}

func (a *fakeAuth) Recheck(context.Context, identity.Principal) error { return nil }

func (a *fakeAuth) issue(uid string, ttl time.Duration) string { return a.issueGeneration(uid, 0, ttl) }

func (a *fakeAuth) issueGeneration(uid string, gen int64, ttl time.Duration) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	tok := ids.New()
	a.tokens[tok] = identity.Principal{UserID: uid, ExpiresAt: a.clock.Now().Add(ttl), Generation: gen}
	return tok
}

type fakeAuthz struct {
	mu      sync.Mutex
	members map[string]bool // wid+"/"+uid
}

func (z *fakeAuthz) Authorize(_ context.Context, wid, uid string, _ authz.Action) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.members[wid+"/"+uid] {
		return apperr.New(apperr.NotFound, "workspace_not_found", "no such workspace")
	}
	return nil
}

func (z *fakeAuthz) set(wid, uid string, member bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.members[wid+"/"+uid] = member
}

// fixture is a hub over fakes, served on a loopback test server.
type fixture struct {
	t     *testing.T
	h     *Hub
	ws    *WebSocket
	ev    *Events
	auth  *fakeAuth
	az    *fakeAuthz
	log   *auditlogmem.Store
	bus   *LocalBus
	srv   *httptest.Server
	wsURL string
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	local := NewLocalBus()
	return newFixtureOn(t, o, local, local)
}

// newFixtureOn builds the fixture over bus; publish broadcasts through local.
func newFixtureOn(t *testing.T, o Options, bus Bus, local *LocalBus) *fixture {
	t.Helper()
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	f := &fixture{t: t, auth: &fakeAuth{tokens: map[string]identity.Principal{}, clock: o.Clock}, az: &fakeAuthz{members: map[string]bool{}},
		log: auditlogmem.NewStore(), bus: local}
	h, err := New(Deps{Auth: f.auth, Authz: f.az, Replay: f.log, Bus: bus, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	f.h, f.ws, f.ev = h, NewWebSocket(h), NewEvents(h, TicketConfig{})
	mux := http.NewServeMux()
	mux.Handle("GET /ws", f.ws)
	mux.Handle("GET /events", f.ev)
	f.srv = httptest.NewServer(mux)
	f.wsURL = "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx, 10*time.Millisecond); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		f.srv.Close()
	})
	return f
}

// publish appends an event to the log and broadcasts it, as the audit log service does.
func (f *fixture) publish(wid string, name events.Name, data map[string]any) auditlog.Entry {
	f.t.Helper()
	e := f.store(wid, name, data)
	f.bus.Broadcast(context.Background(), e)
	return e
}

// store appends without broadcasting (an entry the bus lost).
func (f *fixture) store(wid string, name events.Name, data map[string]any) auditlog.Entry {
	f.t.Helper()
	action, _ := events.ActionOf(name)
	e, err := f.log.Append(context.Background(), auditlog.Entry{ID: ids.New(), WorkspaceID: wid, Action: action, Event: name,
		TargetType: "work-item", TargetID: ids.New(), ActorID: "actor", At: time.Now(), Data: data})
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

type wsc struct {
	t    *testing.T
	conn *websocket.Conn
}

func (f *fixture) dial(header http.Header) *wsc {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, f.wsURL, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		f.t.Fatalf("dial: %v", err)
	}
	f.t.Cleanup(func() { _ = conn.CloseNow() })
	return &wsc{t: f.t, conn: conn}
}

// login dials and authenticates as uid with an auth frame.
func (f *fixture) login(uid string) *wsc {
	f.t.Helper()
	c := f.dial(nil)
	c.send(map[string]any{"type": "auth", "token": f.auth.issue(uid, time.Hour)})
	if m := c.read(); m["type"] != "ready" || m["userId"] != uid {
		f.t.Fatalf("auth answered %v", m)
	}
	return c
}

func (c *wsc) send(v any) {
	c.t.Helper()
	b, ok := v.(string)
	if !ok {
		js, _ := json.Marshal(v)
		b = string(js)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(b)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsc) readErr(d time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("frame is not JSON: %q", b)
	}
	return m, nil
}

func (c *wsc) read() map[string]any {
	c.t.Helper()
	m, err := c.readErr(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// join joins wid (with since when >= 0) and returns the joined frame.
func (c *wsc) join(wid string, since int64) map[string]any {
	c.t.Helper()
	msg := map[string]any{"type": "join", "workspaceId": wid, "ref": "j"}
	if since >= 0 {
		msg["since"] = since
	}
	c.send(msg)
	m := c.read()
	if m["type"] != "joined" || m["workspaceId"] != wid || m["ref"] != "j" {
		c.t.Fatalf("join answered %v", m)
	}
	return m
}

// events reads n frames and returns their seqs, failing on anything but events.
func (c *wsc) events(n int) []int64 {
	c.t.Helper()
	var out []int64
	for range n {
		m := c.read()
		if m["type"] != "event" {
			c.t.Fatalf("got %v, want an event", m)
		}
		out = append(out, int64(m["seq"].(float64)))
	}
	return out
}

// nothingQueued asserts that no frame was queued for c before this call: the pong to a ping
// sent now comes next. (Publishing through the LocalBus queues synchronously.)
func (c *wsc) nothingQueued() {
	c.t.Helper()
	c.send(map[string]any{"type": "ping", "ref": "probe"})
	if m := c.read(); m["type"] != "pong" || m["ref"] != "probe" {
		c.t.Fatalf("unexpected frame %v", m)
	}
}

func (c *wsc) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for range 10000 {
		if _, err := c.readErr(10 * time.Second); err != nil {
			return websocket.CloseStatus(err)
		}
	}
	c.t.Fatal("the connection did not close")
	return 0
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

func TestDeliversToMembersInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	w := ids.New()
	ann, bob := ids.New(), ids.New()
	f.az.set(w, ann, true)
	f.az.set(w, bob, true)
	a, b := f.login(ann), f.login(bob)
	a.join(w, -1)
	b.join(w, -1)
	e := f.publish(w, events.WorkItemStatusChanged, map[string]any{"from": "DRAFT", "to": "ACTIVE"})
	for _, c := range []*wsc{a, b} {
		m := c.read()
		data := m["data"].(map[string]any)
		if m["type"] != "event" || m["event"] != "work-item:status-changed" || m["seq"] != float64(e.Seq) ||
			data["to"] != "ACTIVE" || data["targetId"] != e.TargetID || data["workspaceId"] != w || data["action"] != "WORK_ITEM_STATUS_CHANGED" {
			t.Fatalf("event frame %v", m)
		}
	}
}

func TestOutOfOrderDuplicateAndMissingEntries(t *testing.T) {
	clk := clock.NewManual(time.Now())
	f := newFixture(t, Options{FillWait: time.Second, Clock: clk})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	c := f.login(u)
	c.join(w, -1)
	e1 := f.store(w, events.WorkItemUpdated, nil)
	e2 := f.store(w, events.WorkItemUpdated, nil)
	e3 := f.store(w, events.WorkItemUpdated, nil)
	e4 := f.store(w, events.WorkItemUpdated, nil)
	ctx := context.Background()
	f.bus.Broadcast(ctx, e2) // early: waits for 1
	f.bus.Broadcast(ctx, e1)
	f.bus.Broadcast(ctx, e2) // duplicate
	f.bus.Broadcast(ctx, e4) // 3 never arrives: filled from the log once FillWait has passed
	if got := c.events(2); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("seqs %v", got)
	}
	c.nothingQueued()
	clk.Advance(time.Second)
	if got := c.events(2); fmt.Sprint(got) != "[3 4]" {
		t.Fatalf("after the fill: seqs %v", got)
	}
	f.bus.Broadcast(ctx, e3) // late arrival of the filled one: a duplicate
	e5 := f.publish(w, events.WorkItemUpdated, nil)
	if got := c.events(1); got[0] != e5.Seq {
		t.Fatalf("after the late arrival got %v, want %d", got, e5.Seq)
	}
}

func TestStrangerCannotJoin(t *testing.T) {
	f := newFixture(t, Options{})
	w, member, stranger := ids.New(), ids.New(), ids.New()
	f.az.set(w, member, true)
	s := f.login(stranger)
	s.send(map[string]any{"type": "join", "workspaceId": w, "ref": 9})
	if m := s.read(); m["type"] != "error" || m["code"] != "not_found" || m["ref"] != float64(9) {
		t.Fatalf("stranger's join answered %v", m)
	}
	f.publish(w, events.WorkItemCreated, nil)
	s.nothingQueued()
}

func TestRemovalEvictsBeforeTheNextEvent(t *testing.T) {
	f := newFixture(t, Options{FillWait: 20 * time.Millisecond})
	w, owner, bob := ids.New(), ids.New(), ids.New()
	f.az.set(w, owner, true)
	f.az.set(w, bob, true)
	o, b := f.login(owner), f.login(bob)
	b2 := f.login(bob) // another tab of bob's, not in the workspace: hears it through user:{bob}
	o.join(w, -1)
	b.join(w, -1)
	// The removal and an event after it arrive in the wrong order: bob never sees the later one.
	f.az.set(w, bob, false)
	removed := f.store(w, events.MemberRemoved, map[string]any{"userId": bob})
	later := f.store(w, events.WorkItemCreated, nil)
	f.bus.Broadcast(context.Background(), later)
	f.bus.Broadcast(context.Background(), removed)
	if m := b.read(); m["type"] != "removed" || m["workspaceId"] != w || m["reason"] != "member_removed" {
		t.Fatalf("bob got %v, want removed", m)
	}
	if got := o.events(2); fmt.Sprint(got) != fmt.Sprint([]int64{removed.Seq, later.Seq}) {
		t.Fatalf("owner got %v", got)
	}
	if m := b2.read(); m["event"] != "workspace:member-removed" || m["seq"] != float64(removed.Seq) {
		t.Fatalf("bob's other connection got %v", m)
	}
	f.publish(w, events.WorkItemCreated, nil)
	o.events(1)
	b.nothingQueued()
	// Rejoining is checked against current membership.
	b.send(map[string]any{"type": "join", "workspaceId": w, "since": 0})
	if m := b.read(); m["type"] != "error" || m["code"] != "not_found" {
		t.Fatalf("rejoin answered %v", m)
	}
}

func TestWorkspaceDeletedEvictsEveryone(t *testing.T) {
	f := newFixture(t, Options{})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	c := f.login(u)
	c.join(w, -1)
	f.publish(w, events.WorkspaceDeleted, nil)
	// The event comes first when the join is fully live; when the deletion races the end of the
	// join, the join answers removed at once and the buffered event is dropped (access is gone,
	// and removed's reason says why). Either way removed comes, and nothing after it.
	m := c.read()
	if m["type"] == "event" {
		if m["event"] != "workspace:deleted" {
			t.Fatalf("got %v", m)
		}
		m = c.read()
	}
	if m["type"] != "removed" || m["reason"] != "workspace_deleted" {
		t.Fatalf("got %v, want removed (workspace_deleted)", m)
	}
	if st := f.h.Stats(); st.Rooms != 0 {
		t.Fatalf("the deleted workspace's room is still there: %+v", st)
	}
}

func TestResumeReplaysThenGoesLive(t *testing.T) {
	f := newFixture(t, Options{ReplayLimit: 50})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	for range 10 {
		f.publish(w, events.WorkItemUpdated, nil)
	}
	c := f.login(u)
	if m := c.join(w, 3); m["seq"] != float64(10) {
		t.Fatalf("joined %v, want head 10", m)
	}
	if got := c.events(7); fmt.Sprint(got) != fmt.Sprint(seqRange(4, 10)) {
		t.Fatalf("replayed %v", got)
	}
	f.publish(w, events.WorkItemUpdated, nil)
	if got := c.events(1); got[0] != 11 {
		t.Fatalf("live %v", got)
	}
	// Too far behind: resync.
	for range 60 {
		f.publish(w, events.WorkItemUpdated, nil)
	}
	c2 := f.login(u)
	c2.join(w, 0)
	if m := c2.read(); m["type"] != "resync" || m["workspaceId"] != w {
		t.Fatalf("got %v, want resync", m)
	}
	// Claiming a seq the log never reached: resync too.
	c3 := f.login(u)
	c3.join(w, 1000)
	if m := c3.read(); m["type"] != "resync" {
		t.Fatalf("got %v, want resync", m)
	}
}

// TestResumeSeamUnderLoad joins with since while entries keep arriving: every seq after since
// arrives, in order, none missing (duplicates would be allowed; none are expected).
func TestResumeSeamUnderLoad(t *testing.T) {
	f := newFixture(t, Options{})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	for range 300 {
		f.publish(w, events.WorkItemUpdated, nil)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			select {
			case <-stop:
				return
			default:
			}
			f.publish(w, events.WorkItemUpdated, nil)
		}
	}()
	c := f.login(u)
	c.join(w, 5)
	var last int64 = 5
	for last < 500 {
		m := c.read()
		seq := int64(m["seq"].(float64))
		if seq <= last && seq != last {
			continue // a duplicate is allowed
		}
		if seq != last+1 {
			t.Fatalf("after %d got %d", last, seq)
		}
		last = seq
	}
	close(stop)
	wg.Wait()
}

func TestTokenRefreshAndExpiry(t *testing.T) {
	clk := clock.NewManual(time.Now())
	f := newFixture(t, Options{Clock: clk})
	u := ids.New()
	c := f.dial(nil)
	c.send(map[string]any{"type": "auth", "token": f.auth.issue(u, 5*time.Minute)})
	if m := c.read(); m["type"] != "ready" {
		t.Fatalf("got %v", m)
	}
	c.send(map[string]any{"type": "auth", "token": f.auth.issue(ids.New(), time.Hour), "ref": "x"})
	if m := c.read(); m["type"] != "error" || m["code"] != "unauthorized" || m["ref"] != "x" {
		t.Fatalf("a token of another user answered %v", m)
	}
	c.send(map[string]any{"type": "auth", "token": f.auth.issue(u, time.Hour)})
	if m := c.read(); m["type"] != "ready" {
		t.Fatalf("refresh answered %v", m)
	}
	clk.Advance(10 * time.Minute) // the first token's expiry passes: still open
	c.nothingQueued()

	short := f.dial(nil)
	short.send(map[string]any{"type": "auth", "token": f.auth.issue(u, 5*time.Minute)})
	short.read()
	clk.Advance(5 * time.Minute)
	if code := short.closeStatus(); code != CloseUnauthorized {
		t.Fatalf("expiry closed with %d, want 4001", code)
	}
	bad := f.dial(nil)
	bad.send(map[string]any{"type": "auth", "token": "nope"})
	if code := bad.closeStatus(); code != CloseUnauthorized {
		t.Fatalf("a bad token closed with %d, want 4001", code)
	}
}

func TestAuthTimeoutAndHeaderAuth(t *testing.T) {
	clk := clock.NewManual(time.Now())
	f := newFixture(t, Options{AuthTimeout: time.Minute, Clock: clk})
	c := f.dial(nil)
	c.send(map[string]any{"type": "join", "workspaceId": ids.New(), "ref": 1})
	if m := c.read(); m["code"] != "unauthorized" { // handled after the deadline was armed
		t.Fatalf("join before auth answered %v", m)
	}
	clk.Advance(time.Minute)
	if code := c.closeStatus(); code != CloseUnauthorized {
		t.Fatalf("closed with %d, want 4001", code)
	}
	u := ids.New()
	h := f.dial(http.Header{"Authorization": {"Bearer " + f.auth.issue(u, time.Hour)}})
	if m := h.read(); m["type"] != "ready" || m["userId"] != u {
		t.Fatalf("header auth answered %v", m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, f.wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer nope"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a bad header token: %v %v", err, resp)
	}
	_, resp, err = websocket.Dial(ctx, f.wsURL+"?token=x", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a query-string token: %v %v", err, resp)
	}
}

func TestMalformedFramesKeepTheConnection(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.login(ids.New())
	for _, in := range []string{`not json`, `{"type":"dance","ref":"r"}`, `{"type":"join","workspaceId":"x"}`, `{"type":"ping","x":1}`} {
		c.send(in)
		if m := c.read(); m["type"] != "error" || m["code"] != "bad_request" {
			t.Fatalf("%s answered %v", in, m)
		}
	}
	c.send(map[string]any{"type": "ping", "ref": "still"})
	if m := c.read(); m["type"] != "pong" || m["ref"] != "still" {
		t.Fatalf("got %v", m)
	}
	c.send(`{"type":"ping","pad":"` + strings.Repeat("x", DefaultReadLimit) + `"}`)
	if code := c.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("an oversized frame closed with %d, want 1009", code)
	}
}

func TestFrameRateLimit(t *testing.T) {
	f := newFixture(t, Options{FrameRate: 1, FrameBurst: 5})
	c := f.login(ids.New())
	for range 10 {
		c.send(map[string]any{"type": "ping"})
	}
	if code := c.closeStatus(); code != ClosePolicy {
		t.Fatalf("flooding closed with %d, want 4008", code)
	}
}

func TestJoinAndConnectionLimits(t *testing.T) {
	f := newFixture(t, Options{MaxJoins: 2, MaxConnsPerUser: 2})
	u := ids.New()
	ws := []string{ids.New(), ids.New(), ids.New()}
	for _, w := range ws {
		f.az.set(w, u, true)
	}
	c := f.login(u)
	c.join(ws[0], -1)
	c.join(ws[1], -1)
	c.send(map[string]any{"type": "join", "workspaceId": ws[2]})
	if m := c.read(); m["code"] != "rate_limited" {
		t.Fatalf("third join answered %v", m)
	}
	c.send(map[string]any{"type": "leave", "workspaceId": ws[0], "ref": "l"})
	if m := c.read(); m["type"] != "left" || m["ref"] != "l" {
		t.Fatalf("leave answered %v", m)
	}
	c.join(ws[2], -1)
	f.login(u)
	third := f.dial(nil)
	third.send(map[string]any{"type": "auth", "token": f.auth.issue(u, time.Hour)})
	if code := third.closeStatus(); code != ClosePolicy {
		t.Fatalf("a third connection closed with %d, want 4008", code)
	}
}

// TestSlowConsumerIsClosedOthersKeepReceiving uses a client whose writer is stalled (no
// transport drains it), so the queue fills deterministically.
func TestSlowConsumerIsClosedOthersKeepReceiving(t *testing.T) {
	f := newFixture(t, Options{QueueSize: 8})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	fast := f.login(u)
	fast.join(w, -1)
	stalled := newTestSession(f.h, "stalled")
	if !f.h.register(stalled) {
		t.Fatal("register")
	}
	stalled.authenticated(nil, identity.Principal{UserID: u, ExpiresAt: time.Now().Add(time.Hour)}, true)
	t.Cleanup(func() { f.h.unregister(stalled) })
	if err := stalled.join(context.Background(), nil, w, 0, false); err != nil {
		t.Fatal(err)
	}
	for i := range int64(20) {
		e := f.publish(w, events.WorkItemUpdated, nil)
		if got := fast.events(1); got[0] != e.Seq || e.Seq != i+1 {
			t.Fatalf("the fast client got %v, want %d", got, e.Seq)
		}
	}
	stalled.out.mu.Lock()
	closing, code, queued := stalled.out.closing, stalled.out.code, len(stalled.out.queue)
	stalled.out.mu.Unlock()
	if !closing || code != ClosePolicy || queued != 0 {
		t.Fatalf("stalled client: closing=%v code=%d queued=%d", closing, code, queued)
	}
}

func TestSharedFrameBytes(t *testing.T) {
	f := newFixture(t, Options{})
	w := ids.New()
	var cs []*session
	for range 3 {
		u := ids.New()
		f.az.set(w, u, true)
		c := newTestSession(f.h, ids.New())
		f.h.register(c)
		c.authenticated(nil, identity.Principal{UserID: u, ExpiresAt: time.Now().Add(time.Hour)}, true)
		if err := c.join(context.Background(), nil, w, 0, false); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	f.publish(w, events.WorkItemUpdated, nil)
	var first *byte
	for _, c := range cs {
		c.out.mu.Lock()
		last := c.out.queue[len(c.out.queue)-1]
		c.out.mu.Unlock()
		if first == nil {
			first = &last.b[0]
		} else if &last.b[0] != first {
			t.Fatal("the event was encoded more than once")
		}
		f.h.unregister(c)
	}
}

func TestUserRoomHearsMembershipEvents(t *testing.T) {
	f := newFixture(t, Options{})
	w, u := ids.New(), ids.New()
	c := f.login(u)
	f.publish(w, events.MemberInvited, map[string]any{"userId": u, "role": "MEMBER", "status": "ACTIVE"})
	if m := c.read(); m["event"] != "workspace:member-invited" || m["workspaceId"] != w {
		t.Fatalf("got %v", m)
	}
	f.publish(w, events.WorkItemCreated, nil) // not about u: not heard
	f.publish(w, events.MemberUpdated, map[string]any{"userId": ids.New(), "role": "ADMIN"})
	c.nothingQueued()
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	f := newFixture(t, Options{})
	var cs []*wsc
	for range 5 {
		cs = append(cs, f.login(ids.New()))
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- f.h.Shutdown(ctx, 200*time.Millisecond)
	}()
	for _, c := range cs {
		if code := c.closeStatus(); code != websocket.StatusGoingAway {
			t.Fatalf("closed with %d, want 1001", code)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, f.wsURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a connection during shutdown: %v", err)
	}
}

func TestOriginIsChecked(t *testing.T) {
	f := newFixture(t, Options{AllowedOrigins: []string{"http://app.example.com"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, f.wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example.com"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a foreign origin: %v", err)
	}
	conn, _, err := websocket.Dial(ctx, f.wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://app.example.com"}}})
	if err != nil {
		t.Fatalf("an allowed origin: %v", err)
	}
	conn.CloseNow()
}

// joinRaw registers a client without a transport, authenticates it as u and joins it to w; the
// test drains it through attachWriter (or not at all).
func joinRaw(t *testing.T, f *fixture, c *session, u, w string) {
	t.Helper()
	if !f.h.register(c) {
		t.Fatal("register")
	}
	c.authenticated(nil, identity.Principal{UserID: u, ExpiresAt: time.Now().Add(time.Hour)}, true)
	t.Cleanup(func() { f.h.unregister(c) })
	if err := c.join(context.Background(), nil, w, 0, false); err != nil {
		t.Fatal(err)
	}
}

// TestBehindServerSlowsProducersInsteadOfDroppingReaders: a writer that drains its queue slowly
// but steadily (a busy core, not a peer that stopped reading) makes a burst of changes wait for
// room: every frame arrives, in order, and the connection stays open.
func TestBehindServerSlowsProducersInsteadOfDroppingReaders(t *testing.T) {
	f := newFixture(t, Options{QueueSize: 8})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	c := newTestSession(f.h, "behind")
	got := make(chan int64, 1000)
	c.attachWriter(func() {
		go func() {
			for {
				fr, ok, _, _, _ := c.next()
				if !ok {
					return
				}
				time.Sleep(time.Millisecond) // a writer short of CPU
				if fr.seq != 0 {             // not the joined frame
					got <- fr.seq
				}
			}
		}()
	})
	joinRaw(t, f, c, u, w)
	const n = 100
	for range n {
		f.publish(w, events.WorkItemUpdated, nil)
	}
	for want := int64(1); want <= n; want++ {
		select {
		case seq := <-got:
			if seq != want {
				t.Fatalf("frame %d came as %d", want, seq)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d never came", want)
		}
	}
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	if c.out.closing {
		t.Fatalf("closed with %d (%s) though its writer kept draining", c.out.code, c.out.reason)
	}
}

// TestPeerThatStopsReadingIsClosedAfterStuckWrite: a writer stuck in a socket write (its peer
// reads nothing) gets the client closed with 4008 once the queue is full and the write has
// lasted StuckWrite, and the changes of the room go on for the others.
func TestPeerThatStopsReadingIsClosedAfterStuckWrite(t *testing.T) {
	f := newFixture(t, Options{QueueSize: 8, StuckWrite: 50 * time.Millisecond, LiveWait: time.Minute})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	fast := f.login(u)
	fast.join(w, -1)
	stuck := newTestSession(f.h, "stuck")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck.attachWriter(func() {
		go func() {
			if _, ok, _, _, _ := stuck.next(); !ok {
				return
			}
			stuck.out.writeSince.Store(time.Now().UnixNano()) // in a socket write that never returns
			<-release
		}()
	})
	joinRaw(t, f, stuck, u, w)
	start := time.Now()
	for i := range int64(20) {
		e := f.publish(w, events.WorkItemUpdated, nil)
		if got := fast.events(1); got[0] != e.Seq || e.Seq != i+1 {
			t.Fatalf("the fast client got %v, want %d", got, e.Seq)
		}
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("the room waited %s on a peer that reads nothing", el)
	}
	stuck.out.mu.Lock()
	defer stuck.out.mu.Unlock()
	if !stuck.out.closing || stuck.out.code != ClosePolicy {
		t.Fatalf("stuck client: closing=%v code=%d", stuck.out.closing, stuck.out.code)
	}
}

// One per-user limit for both transports: SSE streams count against WebSockets and the other
// way round.
func TestConnectionLimitCountsBothTransports(t *testing.T) {
	f := newFixture(t, Options{MaxConnsPerUser: 3})
	u := ids.New()
	for range 2 {
		if !f.h.users.add(nil, u, true) {
			t.Fatal("an SSE stream within the limit was refused")
		}
	}
	ws := func(name string) *session {
		c := newTestSession(f.h, name)
		if !f.h.register(c) {
			t.Fatal("register")
		}
		t.Cleanup(func() { f.h.unregister(c) })
		return c
	}
	p := identity.Principal{UserID: u, ExpiresAt: time.Now().Add(time.Hour)}
	if !ws("third").authenticated(nil, p, true) {
		t.Fatal("the third connection (two SSE, one WebSocket) was refused")
	}
	fourth := ws("fourth")
	if fourth.authenticated(nil, p, true) {
		t.Fatal("a fourth connection was accepted with a limit of 3")
	}
	fourth.out.mu.Lock()
	code := fourth.out.code
	fourth.out.mu.Unlock()
	if code != ClosePolicy {
		t.Fatalf("the refused WebSocket closed with %d, want 4008", code)
	}
	if f.h.users.add(nil, u, true) {
		t.Fatal("an SSE stream over the limit was accepted")
	}
}

// Revoke closes every connection of the user with an older token, and one whose token was
// verified before the revocation but is authenticated after it is closed too; a token of the
// new generation and other users are served.
func TestRevokeClosesTheUsersConnections(t *testing.T) {
	f := newFixture(t, Options{})
	u, other := ids.New(), ids.New()
	c := f.dial(nil)
	c.send(map[string]any{"type": "auth", "token": f.auth.issue(u, time.Hour)})
	if m := c.read(); m["type"] != "ready" {
		t.Fatalf("got %v", m)
	}
	o := f.dial(nil)
	o.send(map[string]any{"type": "auth", "token": f.auth.issue(other, time.Hour)})
	o.read()

	f.h.Revoke(u, 1)
	if code := c.closeStatus(); code != CloseUnauthorized {
		t.Fatalf("the user's connection closed with %d, want 4001", code)
	}
	// The fake verifier still accepts the generation-0 token: as a token verified a moment
	// before the revocation, it must not get in.
	late := f.dial(nil)
	late.send(map[string]any{"type": "auth", "token": f.auth.issue(u, time.Hour)})
	if code := late.closeStatus(); code != CloseUnauthorized {
		t.Fatalf("a token verified before the revocation closed with %d, want 4001", code)
	}
	fresh := f.dial(nil)
	fresh.send(map[string]any{"type": "auth", "token": f.auth.issueGeneration(u, 1, time.Hour)})
	if m := fresh.read(); m["type"] != "ready" {
		t.Fatalf("a token of the new generation answered %v", m)
	}
	o.send(map[string]any{"type": "ping", "ref": "p"})
	if m := o.read(); m["type"] != "pong" {
		t.Fatalf("another user's connection answered %v", m)
	}
}

// A token that cannot be checked because the store does not answer is not called invalid: the
// first auth gets an unavailable error and a 1013 close (reconnect later, keep the token); a
// refresh gets the error and the connection stays.
func TestAuthWhileTheStoreIsDown(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.dial(nil)
	c.send(map[string]any{"type": "auth", "token": storeDownToken, "ref": "a"})
	if m := c.read(); m["type"] != "error" || m["code"] != "unavailable" || m["ref"] != "a" {
		t.Fatalf("got %v", m)
	}
	if code := c.closeStatus(); code != CloseTryAgain {
		t.Fatalf("closed with %d, want 1013", code)
	}
	u := ids.New()
	r := f.dial(nil)
	r.send(map[string]any{"type": "auth", "token": f.auth.issue(u, time.Hour)})
	r.read()
	r.send(map[string]any{"type": "auth", "token": storeDownToken, "ref": "refresh"})
	if m := r.read(); m["type"] != "error" || m["code"] != "unavailable" {
		t.Fatalf("a refresh while the store is down answered %v", m)
	}
	r.send(map[string]any{"type": "ping", "ref": "p"})
	if m := r.read(); m["type"] != "pong" {
		t.Fatalf("after it: %v", m)
	}
}

// A revocation sweep judges a session by the generation of the token it claimed with, from the
// moment it holds a user slot (an SSE stream is registered before it is authenticated).
func TestRevokeJudgesTheClaimedToken(t *testing.T) {
	f := newFixture(t, Options{})
	u := ids.New()
	s := newTestSession(f.h, "stream")
	if !s.claim(identity.Principal{UserID: u, Generation: 2, ExpiresAt: time.Now().Add(time.Hour)}) || !f.h.register(s) {
		t.Fatal("claim and register")
	}
	t.Cleanup(func() { f.h.unregister(s) })
	f.h.Revoke(u, 2)
	if s.out.isClosing() {
		t.Fatal("a token of the current generation was revoked")
	}
	f.h.Revoke(u, 3)
	if !s.out.isClosing() {
		t.Fatal("a token older than the revocation survived it")
	}
}
