package realtime

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

// Hub keeps the rooms — workspace:{id} for the sessions that joined it, user:{id} for every
// WebSocket session of a user — and delivers each audit entry it receives from the bus to them,
// in seq order per workspace. It knows sessions, never transports.
type Hub struct {
	opts    Options
	auth    Authenticator
	az      authz.Authorizer
	replay  Replay
	log     *slog.Logger
	clock   clock.Timers
	bus     Bus
	stopBus func()
	deps    *roomDeps
	users   *userRooms
	readers *readers // who may read which workspace, lately

	catchUpPending chan struct{} // capacity 1: a catch-up is scheduled and has not started
	catchUpMu      sync.Mutex    // one catch-up at a time

	mu       sync.Mutex
	rooms    map[string]*room
	sessions map[*session]struct{}
	closing  bool

	revokedMu sync.Mutex
	revoked   map[string]revokedAt // recent revocations, see Revoke
}

type revokedAt struct {
	generation int64
	at         time.Time
}

// revokedMemory is how long a revocation is remembered: longer than a token verified just
// before it can take to reach authenticated.
const revokedMemory = time.Minute

// New returns a hub subscribed to the bus.
func New(d Deps) (*Hub, error) {
	if d.Auth == nil || d.Authz == nil || d.Replay == nil || d.Bus == nil {
		return nil, errors.New("realtime: Auth, Authz, Replay and Bus are required")
	}
	o := d.Options.withDefaults()
	users := newUserRooms(o.MaxConnsPerUser)
	h := &Hub{
		opts: o, auth: d.Auth, az: d.Authz, replay: d.Replay, log: o.Log, clock: o.Clock, bus: d.Bus, users: users,
		deps: &roomDeps{replay: d.Replay, log: o.Log, clock: o.Clock, users: users, fillWait: o.FillWait,
			replayLimit: o.ReplayLimit, bufferLimit: o.QueueSize},
		readers:        newReaders(o.Clock),
		catchUpPending: make(chan struct{}, 1),
		rooms:          map[string]*room{}, sessions: map[*session]struct{}{}, revoked: map[string]revokedAt{},
	}
	h.stopBus = d.Bus.Subscribe(h.deliver, h.lost)
	return h, nil
}

// Ready reports whether this hub hears about changes made through other instances (always,
// with the in-process bus). /readyz shows it apart from REST readiness: an instance whose bus
// is down still serves REST, and its rooms keep up by reading the log (see lost).
func (h *Hub) Ready(ctx context.Context) error { return h.bus.Ready(ctx) }

// accepting reports whether new sessions are welcome (false once shutdown began).
func (h *Hub) accepting() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.closing
}

// register adds a session; it fails once shutdown has begun.
func (h *Hub) register(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.sessions[s] = struct{}{}
	return true
}

// unregister removes a session that ended from every room.
func (h *Hub) unregister(s *session) {
	rooms, uid := s.end()
	for _, r := range rooms {
		r.mu.Lock()
		delete(r.subs, s)
		r.mu.Unlock()
		h.maybeDrop(r)
	}
	if uid != "" {
		h.users.remove(s, uid, s.t.unidirectional())
	}
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
}

// acquireRoom returns the room of wid, creating it, with its baseline known, and counts a join
// in progress so it is not dropped meanwhile.
func (h *Hub) acquireRoom(ctx context.Context, wid string) (*room, error) {
	h.mu.Lock()
	r := h.rooms[wid]
	if r == nil {
		r = &room{deps: h.deps, id: wid, subs: map[*session]*sub{}}
		h.rooms[wid] = r
	}
	r.mu.Lock()
	r.joins++
	ready := r.seq != nil
	r.mu.Unlock()
	h.mu.Unlock()
	if ready {
		return r, nil
	}
	// The room exists before the head is read, so every append that finishes after this read
	// reaches the room; those before it are in the log, below the baseline.
	hctx, cancel := context.WithTimeout(ctx, dbTimeout)
	head, err := h.replay.Head(hctx, wid)
	cancel()
	if err != nil {
		h.releaseJoin(r)
		return nil, err
	}
	r.baseline(head)
	return r, nil
}

// releaseJoin ends a join acquireRoom counted.
func (h *Hub) releaseJoin(r *room) {
	r.mu.Lock()
	r.joins--
	r.mu.Unlock()
	h.maybeDrop(r)
}

// maybeDrop forgets a room nobody is in or joining.
func (h *Hub) maybeDrop(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead || r.joins > 0 || len(r.subs) > 0 {
		return
	}
	r.dead = true
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
}

// deliver receives an entry from the bus. It never blocks on a peer. An entry that evicts also
// makes the hub forget who may read the workspace, whether or not this hub has its room.
func (h *Hub) deliver(e auditlog.Entry) {
	if e.Trace != "" {
		// A child of the audit append that stored e, so the trace of the REST request that
		// caused it reaches the fan-out to the sockets.
		_, span := h.opts.Tracer.Start(context.Background(), "realtime.deliver", e.Trace)
		defer span.End(nil)
	}
	spec, _ := events.Of(e.Event)
	switch spec.Evicts {
	case events.EvictSubject:
		h.readers.forget(e.WorkspaceID, spec.Subject(e.TargetType, e.TargetID, e.Data)) // "" (unknown): everyone
	case events.EvictEveryone:
		h.readers.forget(e.WorkspaceID, "")
	}
	h.mu.Lock()
	r := h.rooms[e.WorkspaceID]
	h.mu.Unlock()
	if r != nil {
		empty, ok := r.receive(e)
		if empty {
			h.maybeDrop(r)
		}
		if ok {
			return
		}
	}
	// Nobody is in the workspace's room: only its user room may care, and needs no order.
	if uid := spec.Subject(e.TargetType, e.TargetID, e.Data); uid != "" {
		if b, err := EncodeEvent(e); err == nil {
			h.users.send(uid, frame{b: b, seq: e.Seq}, nil, nil)
		}
	}
}

// lost is the bus saying entries may have been missed: a reconnect after an outage, a
// dropped message, or a poll tick while the bus is down. Every room re-reads the log from
// what it delivered, in the background (the bus must not block). Catch-ups run one at a time;
// requests made before the next one starts reading are served by it.
func (h *Hub) lost() {
	h.readers.forgetAll() // a lost entry may have been a removal
	select {
	case h.catchUpPending <- struct{}{}:
	default:
		return // a catch-up that has not started yet will see what this one would
	}
	go func() {
		h.catchUpMu.Lock()
		defer h.catchUpMu.Unlock()
		<-h.catchUpPending // from here on, a new request schedules another run
		h.catchUp()
	}()
}

// catchUp brings every room up to the log's head.
func (h *Hub) catchUp() {
	h.opts.Metrics.CatchUps.Add(1)
	h.mu.Lock()
	rooms := slices.Collect(maps.Values(h.rooms))
	h.mu.Unlock()
	for _, r := range rooms {
		r.catchUp()
	}
}

// Revoke closes, with 4001, every session of the user whose token is older than generation:
// identity.Service.OnRevoke calls it when the user signs out everywhere or changes their
// password. It is remembered for a while, so that a session whose token was verified just
// before and that is being authenticated during the sweep is closed by authenticated.
func (h *Hub) Revoke(uid string, generation int64) {
	now := h.clock.Now()
	h.revokedMu.Lock()
	for id, r := range h.revoked {
		if now.Sub(r.at) > revokedMemory {
			delete(h.revoked, id)
		}
	}
	if r, ok := h.revoked[uid]; !ok || r.generation < generation {
		h.revoked[uid] = revokedAt{generation: generation, at: now}
	}
	h.revokedMu.Unlock()
	for _, s := range h.all() {
		if s.tokenOlder(uid, generation) {
			s.out.close(CloseUnauthorized, "token revoked")
		}
	}
}

// isRevoked reports whether a token of generation has been revoked lately.
func (h *Hub) isRevoked(uid string, generation int64) bool {
	h.revokedMu.Lock()
	defer h.revokedMu.Unlock()
	r, ok := h.revoked[uid]
	return ok && generation < r.generation
}

// Stats are the hub's gauges.
type Stats struct {
	Connections int `json:"connections"`
	WebSockets  int `json:"webSockets"`
	SSEStreams  int `json:"sseStreams"`
	Rooms       int `json:"rooms"`
	Users       int `json:"users"`
}

// Stats returns the current counts (a walk over the sessions: for a scrape, not a hot path).
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	st := Stats{Connections: len(h.sessions), Rooms: len(h.rooms)}
	for s := range h.sessions {
		if s.t.unidirectional() {
			st.SSEStreams++
		}
	}
	h.mu.Unlock()
	st.WebSockets = st.Connections - st.SSEStreams
	st.Users = h.users.count()
	return st
}

// all returns the sessions now registered.
func (h *Hub) all() []*session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Collect(maps.Keys(h.sessions))
}

// Shutdown closes every WebSocket with 1001 (and ends every SSE stream with a close message of
// that code) in batches spread over drain, so clients do not all reconnect in the same instant,
// then waits for them to be gone or ctx to end. Call it after the REST server has drained.
func (h *Hub) Shutdown(ctx context.Context, drain time.Duration) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	all := h.all()
	h.stopBus()
	goingAway := func(ss []*session) {
		for _, s := range ss {
			s.out.close(CloseGoingAway, "server going away")
		}
	}
	if n := len(all); n > 0 {
		batches := max(1, min(n, int(drain/(50*time.Millisecond))))
		for i := range batches {
			goingAway(all[i*n/batches : (i+1)*n/batches])
			if i < batches-1 && !sleep(ctx, drain/time.Duration(batches)) {
				goingAway(all)
				return ctx.Err()
			}
		}
	}
	for {
		h.mu.Lock()
		left := len(h.sessions)
		h.mu.Unlock()
		if left == 0 {
			return nil
		}
		if !sleep(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// sleep waits d on the wall clock (shutdown paces real sockets), false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
