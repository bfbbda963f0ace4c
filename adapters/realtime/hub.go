package realtime

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// Authenticator verifies a bearer token (identity.Service implements it).
type Authenticator interface {
	Verify(ctx context.Context, token string) (identity.Principal, error)
	// Recheck reports whether a principal verified earlier (an SSE ticket's) still stands.
	Recheck(ctx context.Context, p identity.Principal) error
}

// Replay reads the audit log for resume and gap filling (auditlog.Service implements it). The
// hub authorizes before it replays.
type Replay interface {
	// Since returns at most limit entries of the workspace with seq > afterSeq, oldest first.
	Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]auditlog.Entry, error)
	// Head returns the workspace's latest seq, 0 when it has none.
	Head(ctx context.Context, workspaceID string) (int64, error)
}

// Deps are what the hub needs; all but Options are required.
type Deps struct {
	Auth    Authenticator
	Authz   authz.Authorizer
	Replay  Replay
	Bus     Bus
	Options Options
	// TicketKey signs SSE tickets; instances behind one load balancer share it. Empty: a
	// random key, good for one instance.
	TicketKey []byte
	// Redemptions records used SSE tickets; nil: in memory, for one instance.
	Redemptions Redemptions
}

// dbTimeout bounds one read of the log or one authorization.
const dbTimeout = 5 * time.Second

// Hub keeps the rooms — workspace:{id} for the members who joined it, user:{id} for every
// connection of a user — and delivers each audit entry it receives from the bus to them, in seq
// order per workspace.
type Hub struct {
	opts    Options
	auth    Authenticator
	az      authz.Authorizer
	replay  Replay
	log     *slog.Logger
	tickets *tickets
	stopBus func()
	origins []string
	bus     Bus
	pings   pinger // every WebSocket's ping schedule

	catchUpPending chan struct{} // capacity 1: a catch-up is scheduled and has not started
	catchUpMu      sync.Mutex    // one catch-up at a time

	mu      sync.Mutex
	rooms   map[string]*room
	clients map[*client]struct{}
	closing bool

	usersMu  sync.RWMutex
	users    map[string]map[*client]struct{} // the user rooms (WebSocket connections)
	sseCount map[string]int                  // SSE streams per user, for the per-user limit

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
	tk := &tickets{key: d.TicketKey, ttl: o.TicketTTL, used: d.Redemptions}
	if len(tk.key) == 0 {
		tk.key = make([]byte, 32)
		_, _ = rand.Read(tk.key) // crypto/rand.Read never fails on supported platforms
	}
	if tk.used == nil {
		tk.used = NewMemoryRedemptions(o.MaxTickets)
	}
	h := &Hub{
		opts: o, auth: d.Auth, az: d.Authz, replay: d.Replay, log: o.Log,
		tickets: tk, bus: d.Bus, catchUpPending: make(chan struct{}, 1),
		rooms: map[string]*room{}, clients: map[*client]struct{}{}, users: map[string]map[*client]struct{}{},
		revoked: map[string]revokedAt{},
	}
	// coder/websocket matches a pattern with "://" against the Origin's scheme://host.
	h.origins = slices.Clone(o.AllowedOrigins)
	h.stopBus = d.Bus.Subscribe(h.deliver, h.lost)
	return h, nil
}

// room is one workspace's room and its sequencer.
type room struct {
	hub *Hub
	id  string

	mu        sync.Mutex
	seq       *sequencer       // nil until the baseline (the log's head) is known
	early     []auditlog.Entry // entries that arrived before the baseline
	subs      map[*client]*sub
	joins     int  // joins in progress; the room stays while > 0
	dead      bool // dropped from the hub; a late timer or entry finds it so
	filling   bool // a gap fill is scheduled
	fillTries int
	recent    []frame // the last recentFrames event frames delivered, in seq order, no gap
}

// recentFrames is how many delivered frames a room keeps, so that a client resuming a few
// events behind (a dropped connection, a redeploy) is served from memory, not from the log:
// reconnect storms would otherwise turn into one read of the audit log per client.
const recentFrames = 64

// remember keeps f among the recent frames (it follows the last one: the sequencer delivers in
// order).
func (r *room) rememberLocked(f frame) {
	if n := len(r.recent); n > 0 && r.recent[n-1].seq+1 != f.seq {
		r.recent = r.recent[:0] // not contiguous (a skipped gap, a resync): start again
	}
	if len(r.recent) == recentFrames {
		copy(r.recent, r.recent[1:])
		r.recent[recentFrames-1] = f
		return
	}
	r.recent = append(r.recent, f)
}

// recentRange returns the frames with seq in (since, through] when the room still has all of
// them.
func (r *room) recentRange(since, through int64) ([]frame, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) == 0 || since+1 < r.recent[0].seq || through > r.recent[len(r.recent)-1].seq {
		return nil, false
	}
	from := since + 1 - r.recent[0].seq
	return slices.Clone(r.recent[from : from+through-since]), true
}

// sub is a client's membership of a room. While joining, live frames wait in buf so that the
// replay and the live stream meet without a gap or a reordering.
type sub struct {
	c       *client
	joining bool
	buf     []frame
	evicted string // set when evicted while joining; the join then sends removed
	seen    int64  // the client resumed ahead of this room: events up to here are not sent again
}

// send hands a frame to the subscriber (under the room lock).
func (s *sub) send(f frame) {
	if f.seq != 0 && f.seq <= s.seen {
		return
	}
	if !s.joining {
		s.c.enqueueLive(f)
		return
	}
	if len(s.buf) >= s.c.hub.opts.QueueSize {
		s.c.close(ClosePolicy, "slow consumer: live frames piled up during replay")
		return
	}
	s.buf = append(s.buf, f)
}

// register adds a client; it fails once shutdown has begun.
func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.clients[c] = struct{}{}
	return true
}

// unregister removes a client that ended from every room.
func (h *Hub) unregister(c *client) {
	c.end()
	c.mu.Lock()
	rooms := make([]*room, 0, len(c.rooms))
	for _, r := range c.rooms {
		rooms = append(rooms, r)
	}
	c.rooms = nil
	uid := c.userID
	c.mu.Unlock()
	for _, r := range rooms {
		r.mu.Lock()
		delete(r.subs, c)
		r.mu.Unlock()
		h.maybeDrop(r)
	}
	if uid != "" {
		h.usersMu.Lock()
		if set := h.users[uid]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(h.users, uid)
			}
		}
		h.usersMu.Unlock()
	}
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// addUser puts an authenticated client in its user room, within the per-user limit, which
// counts the user's SSE streams too.
func (h *Hub) addUser(c *client, uid string) bool {
	h.usersMu.Lock()
	defer h.usersMu.Unlock()
	set := h.users[uid]
	if len(set)+h.sseCount[uid] >= h.opts.MaxConnsPerUser {
		return false
	}
	if set == nil {
		set = map[*client]struct{}{}
		h.users[uid] = set
	}
	set[c] = struct{}{}
	return true
}

// authenticate verifies a token for a client: the first success makes it ready, a later one
// (a refresh) must be for the same user and moves the expiry. It answers on the client.
func (h *Hub) authenticate(ctx context.Context, c *client, ref json.RawMessage, token string) {
	p, err := h.auth.Verify(ctx, token)
	prev := c.user()
	if err != nil && apperr.KindOf(err) != apperr.Unauthenticated {
		// Not a verdict on the token: the store did not answer. Say so, as REST would (503).
		e, logIt := problem.Of(err)
		if logIt {
			h.log.WarnContext(ctx, "realtime: verify a token", slog.String("code", e.Code), slog.Any("error", err))
		}
		if prev == "" {
			c.closeAfter(frame{b: encodeProblem(ref, e)}, CloseTryAgain, "the token could not be checked; reconnect with backoff")
		} else {
			c.enqueue(frame{b: encodeProblem(ref, e)})
		}
		return
	}
	switch {
	case err != nil && prev == "":
		c.close(CloseUnauthorized, "invalid token")
		return
	case err != nil:
		c.enqueue(frame{b: encodeError(ref, CodeUnauthorized, "the new token is not valid; the previous one stays in force until it expires")})
		return
	case prev != "" && p.UserID != prev:
		c.enqueue(frame{b: encodeError(ref, CodeUnauthorized, "the new token is for another user")})
		return
	}
	h.authenticated(c, ref, p, prev == "")
}

// authenticated makes a verified principal the client's and arms the expiry timer.
func (h *Hub) authenticated(c *client, ref json.RawMessage, p identity.Principal, first bool) bool {
	if first {
		if !c.sse && !h.addUser(c, p.UserID) {
			c.close(ClosePolicy, "too many connections for this user")
			return false
		}
	}
	c.mu.Lock()
	if first {
		c.userID = p.UserID // never rewritten: the hub reads it under room locks
	}
	c.expiresAt = p.ExpiresAt
	c.generation = p.Generation
	c.mu.Unlock()
	if h.isRevoked(p.UserID, p.Generation) { // verified just before a revocation swept past
		c.close(CloseUnauthorized, "token revoked")
		return false
	}
	c.setTimer(time.Until(p.ExpiresAt), CloseUnauthorized, "token expired")
	if !c.sse {
		c.enqueue(frame{b: encodeReady(ref, p.UserID, c.id, p.ExpiresAt)})
	}
	return true
}

// join puts c in workspace wid's room: it authorizes against current membership (every join,
// resumed or not), answers joined with the head seq, replays what followed since (or sends
// resync past the replay limit), then switches to the live stream with no gap at the seam.
// A refused join is answered with an error frame (WebSocket) or a close (SSE).
func (h *Hub) join(ctx context.Context, c *client, ref json.RawMessage, wid string, since int64, hasSince bool) *apperr.Error {
	uid := c.user()
	c.mu.Lock()
	_, already := c.rooms[wid]
	n := len(c.rooms)
	c.mu.Unlock()
	if already {
		h.leave(c, wid)
	} else if n >= h.opts.MaxJoins {
		return errTooManyJoins
	}
	r, err := h.acquireRoom(ctx, wid)
	if err != nil {
		e, _ := problem.Of(err)
		h.log.WarnContext(ctx, "realtime: read the log head", slog.String("workspace_id", wid), slog.Any("error", err))
		return e
	}
	// Subscribe before authorizing: a removal that lands from now on evicts this join, and one
	// that landed before is seen by the authorization.
	s := &sub{c: c, joining: true}
	r.mu.Lock()
	r.subs[c] = s
	base := r.seq.delivered()
	r.mu.Unlock()
	c.mu.Lock()
	if c.rooms == nil {
		c.rooms = map[string]*room{}
	}
	c.rooms[wid] = r
	c.mu.Unlock()
	defer h.releaseJoin(r)

	actx, cancel := context.WithTimeout(ctx, dbTimeout)
	err = h.az.Authorize(actx, wid, uid, authz.WorkspaceRead)
	cancel()
	if err != nil {
		h.unsubscribe(c, r, s)
		e, logIt := problem.Of(err)
		if logIt {
			h.log.WarnContext(ctx, "realtime: authorize join", slog.String("workspace_id", wid), slog.Any("error", err))
		}
		return e
	}
	if !c.enqueue(frame{b: encodeJoined(ref, wid, base)}) {
		return nil
	}
	if hasSince {
		if !h.replayInto(ctx, c, r, s, wid, since, base) {
			return nil
		}
	}
	// The seam: hand over what the live stream buffered, until nothing is left, then go live.
	for {
		r.mu.Lock()
		if s.evicted != "" {
			r.mu.Unlock()
			h.finishEviction(c, r, wid, s.evicted)
			return nil
		}
		if r.subs[c] != s {
			r.mu.Unlock()
			return nil
		}
		buf := s.buf
		s.buf = nil
		if len(buf) == 0 {
			s.joining = false
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		for _, f := range buf {
			if !c.enqueueWait(f) {
				return nil
			}
		}
	}
}

// replayInto sends the entries after since up to base (the seq the live stream starts after),
// or resync when that is more than the replay limit or cannot be read. It reports whether the
// join goes on.
func (h *Hub) replayInto(ctx context.Context, c *client, r *room, s *sub, wid string, since, base int64) bool {
	resync := func() bool { return c.enqueue(frame{b: encodeWorkspaceFrame(TypeResync, nil, wid, "")}) }
	if since > base {
		// The client saw more than this hub delivered: entries in flight, or a log it cannot
		// have seen (a reset database): only the latter needs a resync.
		hctx, cancel := context.WithTimeout(ctx, dbTimeout)
		head, err := h.replay.Head(hctx, wid)
		cancel()
		if err != nil || since > head {
			return resync()
		}
		// Another instance already gave the client what this room has yet to deliver (with
		// several instances, entries reach each one at its own pace): skip those here.
		r.mu.Lock()
		s.seen = since
		s.buf = slices.DeleteFunc(s.buf, func(f frame) bool { return f.seq != 0 && f.seq <= since })
		r.mu.Unlock()
		return true
	}
	if base-since > int64(h.opts.ReplayLimit) {
		return resync()
	}
	if frames, ok := r.recentRange(since, base); ok {
		for _, f := range frames {
			if !c.enqueueWait(f) {
				return false
			}
		}
		return true
	}
	after := since
	for after < base {
		rctx, cancel := context.WithTimeout(ctx, dbTimeout)
		entries, err := h.replay.Since(rctx, wid, after, int(min(int64(replayPage), base-after)))
		cancel()
		if err != nil || len(entries) == 0 {
			if err != nil {
				h.log.WarnContext(ctx, "realtime: replay", slog.String("workspace_id", wid), slog.Any("error", err))
			}
			return resync()
		}
		for _, e := range entries {
			if e.Seq <= after || e.Seq > base {
				continue
			}
			b, err := EncodeEvent(e)
			if err != nil {
				h.log.ErrorContext(ctx, "realtime: encode entry", slog.String("workspace_id", wid), slog.Int64("seq", e.Seq), slog.Any("error", err))
				continue
			}
			if !c.enqueueWait(frame{b: b, seq: e.Seq}) {
				return false
			}
			after = e.Seq
		}
		r.mu.Lock()
		evicted := s.evicted
		r.mu.Unlock()
		if evicted != "" {
			return true // the seam sends removed
		}
		if last := entries[len(entries)-1].Seq; last > after {
			after = last
		}
	}
	return true
}

// finishEviction tells a client evicted while joining that it is out.
func (h *Hub) finishEviction(c *client, r *room, wid, reason string) {
	c.mu.Lock()
	if c.rooms[wid] == r {
		delete(c.rooms, wid)
	}
	c.mu.Unlock()
	h.sendRemoved(c, wid, reason)
}

func (h *Hub) sendRemoved(c *client, wid, reason string) {
	f := frame{b: encodeWorkspaceFrame(TypeRemoved, nil, wid, reason)}
	if c.sse {
		c.closeAfter(f, 0, reason) // an SSE stream serves one workspace: it ends here
		return
	}
	c.enqueue(f)
}

// unsubscribe takes a client out of a room it was joining or in.
func (h *Hub) unsubscribe(c *client, r *room, s *sub) {
	r.mu.Lock()
	if r.subs[c] == s {
		delete(r.subs, c)
	}
	r.mu.Unlock()
	c.mu.Lock()
	if c.rooms[r.id] == r {
		delete(c.rooms, r.id)
	}
	c.mu.Unlock()
}

// leave takes c out of workspace wid's room; leaving a room one is not in is not an error.
func (h *Hub) leave(c *client, wid string) {
	c.mu.Lock()
	r := c.rooms[wid]
	delete(c.rooms, wid)
	c.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.subs, c)
	r.mu.Unlock()
	h.maybeDrop(r)
}

// acquireRoom returns the room of wid, creating it, with its baseline known, and counts a join
// in progress so it is not dropped meanwhile.
func (h *Hub) acquireRoom(ctx context.Context, wid string) (*room, error) {
	h.mu.Lock()
	r := h.rooms[wid]
	if r == nil {
		r = &room{hub: h, id: wid, subs: map[*client]*sub{}}
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
	r.mu.Lock()
	if r.seq == nil {
		r.seq = newSequencer(head)
		early := r.early
		r.early = nil
		slices.SortFunc(early, func(a, b auditlog.Entry) int { return int(a.Seq - b.Seq) })
		for _, e := range early {
			r.offerLocked(e)
		}
	}
	r.mu.Unlock()
	return r, nil
}

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

// deliver receives an entry from the bus. It never blocks on a peer.
func (h *Hub) deliver(e auditlog.Entry) {
	h.mu.Lock()
	r := h.rooms[e.WorkspaceID]
	h.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		if !r.dead {
			empty := false
			if r.seq == nil {
				if len(r.early) < maxPending {
					r.early = append(r.early, e)
				}
			} else {
				r.offerLocked(e)
				empty = len(r.subs) == 0
			}
			r.mu.Unlock()
			if empty {
				h.maybeDrop(r)
			}
			return
		}
		r.mu.Unlock()
	}
	// Nobody is in the workspace's room: only its user room may care, and needs no order.
	if uid := subjectUser(e); uid != "" {
		if b, err := EncodeEvent(e); err == nil {
			h.toUserRoom(uid, frame{b: b, seq: e.Seq}, nil, nil)
		}
	}
}

// offerLocked runs an entry through the sequencer and delivers what it releases.
func (r *room) offerLocked(e auditlog.Entry) {
	for _, d := range r.seq.offer(e) {
		r.deliverLocked(d)
	}
	r.armFillLocked()
}

// armFillLocked schedules a gap fill when entries wait for a missing seq.
func (r *room) armFillLocked() {
	if _, waiting := r.seq.waiting(); !waiting {
		r.fillTries = 0
		return
	}
	if !r.filling {
		r.filling = true
		time.AfterFunc(r.hub.opts.FillWait, r.fill)
	}
}

// maxFillTries is how many reads of the log a missing seq gets before it is skipped.
const maxFillTries = 5

// fill reads the missing entries from the log and delivers them as if they had arrived.
func (r *room) fill() {
	r.mu.Lock()
	r.filling = false
	missing, waiting := r.seq.waiting()
	if r.dead || !waiting {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	entries, err := r.hub.replay.Since(ctx, r.id, missing-1, replayPage)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return
	}
	if err != nil {
		r.hub.log.Warn("realtime: fill a gap from the log", slog.String("workspace_id", r.id), slog.Any("error", err))
	}
	for _, e := range entries {
		for _, d := range r.seq.offer(e) {
			r.deliverLocked(d)
		}
	}
	if now, still := r.seq.waiting(); still && now == missing {
		r.fillTries++
		if r.fillTries >= maxFillTries {
			r.hub.log.Warn("realtime: a seq is missing from the log; skipped", slog.String("workspace_id", r.id), slog.Int64("seq", missing))
			for _, d := range r.seq.skipGap() {
				r.deliverLocked(d)
			}
			r.fillTries = 0
		}
	}
	r.armFillLocked()
}

// deliverLocked sends one entry, in seq order, to the room and, for membership events, to the
// user room of the member concerned. A removed member is evicted before the entry is sent, so
// they see nothing of the workspace from then on; a deleted workspace evicts everyone after it.
func (r *room) deliverLocked(e auditlog.Entry) {
	b, err := EncodeEvent(e)
	if err != nil {
		r.hub.log.Error("realtime: encode entry", slog.String("workspace_id", e.WorkspaceID), slog.Int64("seq", e.Seq), slog.Any("error", err))
		return
	}
	f := frame{b: b, seq: e.Seq}
	r.rememberLocked(f)
	uid := subjectUser(e)
	var evicted []*client
	if e.Event == events.MemberRemoved && uid != "" {
		for c, s := range r.subs {
			if c.userID == uid {
				r.evictLocked(s, ReasonMemberRemoved)
				evicted = append(evicted, c)
			}
		}
	}
	for _, s := range r.subs {
		s.send(f)
	}
	if e.Event == events.WorkspaceDeleted {
		for _, s := range r.subs {
			r.evictLocked(s, ReasonWorkspaceDeleted)
		}
	}
	if uid != "" {
		r.hub.toUserRoom(uid, f, r.subs, evicted)
	}
}

// evictLocked takes a subscriber out of the room: removed is sent at once, or by its join when
// it is still joining (after the replay it already sent, before anything else).
func (r *room) evictLocked(s *sub, reason string) {
	delete(r.subs, s.c)
	if s.joining {
		s.evicted = reason
		return
	}
	s.c.mu.Lock()
	if s.c.rooms[r.id] == r {
		delete(s.c.rooms, r.id)
	}
	s.c.mu.Unlock()
	r.hub.sendRemoved(s.c, r.id, reason)
}

// toUserRoom sends a membership event to every WebSocket of the user not already served by the
// workspace's room.
func (h *Hub) toUserRoom(uid string, f frame, inRoom map[*client]*sub, skip []*client) {
	h.usersMu.RLock()
	defer h.usersMu.RUnlock()
	for c := range h.users[uid] {
		if _, ok := inRoom[c]; ok || slices.Contains(skip, c) {
			continue
		}
		c.enqueue(f)
	}
}

// subjectUser is the user a membership event is about ("" for other events).
func subjectUser(e auditlog.Entry) string {
	switch e.Event {
	case events.MemberInvited, events.MemberJoined, events.MemberUpdated, events.MemberRemoved:
		if uid, ok := e.Data["userId"].(string); ok && ids.Valid(uid) {
			return uid
		}
		if e.Event == events.MemberRemoved && e.TargetType == events.TargetMember {
			return e.TargetID
		}
	}
	return ""
}

// Revoke closes, with 4001, every connection of the user whose token is older than
// generation: identity.Service.OnRevoke calls it when the user signs out everywhere or changes
// their password. It is remembered for a while, so that a connection whose token was verified
// just before and that is being authenticated during the sweep is closed by authenticated.
func (h *Hub) Revoke(uid string, generation int64) {
	now := time.Now()
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
	h.mu.Lock()
	all := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.mu.Lock()
		revoked := c.userID == uid && c.generation < generation
		c.mu.Unlock()
		if revoked {
			c.close(CloseUnauthorized, "token revoked")
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
	Rooms       int `json:"rooms"`
	Users       int `json:"users"`
}

// Stats returns the current counts.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	st := Stats{Connections: len(h.clients), Rooms: len(h.rooms)}
	h.mu.Unlock()
	h.usersMu.RLock()
	st.Users = len(h.users)
	h.usersMu.RUnlock()
	return st
}

// Shutdown closes every WebSocket with 1001 (and ends every SSE stream with a close frame of
// that code) in batches spread over drain, so clients do not all reconnect in the same instant,
// then waits for them to be gone or ctx to end. Call it after the REST server has drained.
func (h *Hub) Shutdown(ctx context.Context, drain time.Duration) error {
	h.mu.Lock()
	h.closing = true
	all := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		all = append(all, c)
	}
	h.mu.Unlock()
	h.stopBus()
	if n := len(all); n > 0 {
		batches := max(1, min(n, int(drain/(50*time.Millisecond))))
		interval := drain / time.Duration(batches)
		for i := range batches {
			for _, c := range all[i*n/batches : (i+1)*n/batches] {
				h.goingAway(c)
			}
			if i < batches-1 {
				t := time.NewTimer(interval)
				select {
				case <-ctx.Done():
					t.Stop()
					for _, c := range all {
						h.goingAway(c)
					}
					return ctx.Err()
				case <-t.C:
				}
			}
		}
	}
	for {
		h.mu.Lock()
		left := len(h.clients)
		h.mu.Unlock()
		if left == 0 {
			return nil
		}
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (h *Hub) goingAway(c *client) { c.close(CloseGoingAway, "server going away") }
