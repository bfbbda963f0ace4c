package realtime

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

// roomDeps are what every room needs, shared by the rooms of one hub.
type roomDeps struct {
	replay      Replay
	log         *slog.Logger
	clock       clock.Timers
	users       *userRooms
	fillWait    time.Duration
	replayLimit int
	bufferLimit int // live frames a joining subscriber may buffer (the queue size)
}

// room is one workspace's room: its subscribers and the sequencer that puts what the bus
// brings in seq order.
type room struct {
	deps *roomDeps
	id   string

	mu        sync.Mutex
	seq       *sequencer       // nil until the baseline (the log's head) is known
	early     []auditlog.Entry // entries that arrived before the baseline
	subs      map[*session]*sub
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

// maxFillTries is how many reads of the log a missing seq gets before it is skipped.
const maxFillTries = 5

// sub is a session's membership of a room. While joining, live frames wait in buf so that the
// replay and the live stream meet without a gap or a reordering.
type sub struct {
	s       *session
	joining bool
	buf     []frame
	evicted string // set when evicted while joining; the join then sends removed
	seen    int64  // the client resumed ahead of this room: events up to here are not sent again
}

// sendLocked hands a frame to the subscriber (the room is locked).
func (s *sub) sendLocked(f frame, bufferLimit int) {
	if f.seq != 0 && f.seq <= s.seen {
		return
	}
	if !s.joining {
		s.s.out.enqueueLive(f)
		return
	}
	if len(s.buf) >= bufferLimit {
		s.s.out.mu.Lock()
		s.s.out.fullLocked("slow consumer: live frames piled up during replay")
		s.s.out.mu.Unlock()
		return
	}
	s.buf = append(s.buf, f)
}

// baseline sets the room's sequence after head (the log's, read when the room was made) and
// delivers what arrived meanwhile.
func (r *room) baseline(head int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seq != nil {
		return
	}
	r.seq = newSequencer(head)
	early := r.early
	r.early = nil
	slices.SortFunc(early, func(a, b auditlog.Entry) int { return int(a.Seq - b.Seq) })
	for _, e := range early {
		r.offerLocked(e)
	}
}

// receive takes an entry from the bus and reports whether the room is empty (to be dropped).
// A dead room reports false with ok=false: the caller treats the entry as having no room.
func (r *room) receive(e auditlog.Entry) (empty, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return false, false
	}
	if r.seq == nil {
		if len(r.early) < maxPending {
			r.early = append(r.early, e)
		}
		return false, true
	}
	r.offerLocked(e)
	return len(r.subs) == 0, true
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
		r.deps.clock.AfterFunc(r.deps.fillWait, r.fill)
	}
}

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
	entries, err := r.deps.replay.Since(ctx, r.id, missing-1, replayPage)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return
	}
	if err != nil {
		r.deps.log.Warn("realtime: fill a gap from the log", slog.String("workspace_id", r.id), slog.Any("error", err))
	}
	for _, e := range entries {
		for _, d := range r.seq.offer(e) {
			r.deliverLocked(d)
		}
	}
	if now, still := r.seq.waiting(); still && now == missing {
		r.fillTries++
		if r.fillTries >= maxFillTries {
			r.deps.log.Warn("realtime: a seq is missing from the log; skipped", slog.String("workspace_id", r.id), slog.Int64("seq", missing))
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
		r.deps.log.Error("realtime: encode entry", slog.String("workspace_id", e.WorkspaceID), slog.Int64("seq", e.Seq), slog.Any("error", err))
		return
	}
	f := frame{b: b, seq: e.Seq}
	r.rememberLocked(f) // a replay of it is not live: no lag
	f.at = e.At.UnixNano()
	spec, _ := events.Of(e.Event)
	uid := spec.Subject(e.TargetType, e.TargetID, e.Data)
	var evicted []*session
	if spec.Evicts == events.EvictSubject && uid != "" {
		for s, sb := range r.subs {
			if s.userID == uid { // set once, before the session joins any room
				r.evictLocked(sb, ReasonMemberRemoved)
				evicted = append(evicted, s)
			}
		}
	}
	for _, sb := range r.subs {
		sb.sendLocked(f, r.deps.bufferLimit)
	}
	if spec.Evicts == events.EvictEveryone {
		for _, sb := range r.subs {
			r.evictLocked(sb, ReasonWorkspaceDeleted)
		}
	}
	if uid != "" {
		r.deps.users.send(uid, f, r.subs, evicted)
	}
}

// evictLocked takes a subscriber out of the room: removed is sent at once, or by its join when
// it is still joining (after the replay it already sent, before anything else).
func (r *room) evictLocked(sb *sub, reason string) {
	delete(r.subs, sb.s)
	if sb.joining {
		sb.evicted = reason
		return
	}
	sb.s.removed(r, reason)
}

// rememberLocked keeps f among the recent frames (it follows the last one: the sequencer
// delivers in order).
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

// catchUp delivers, in order, what the log holds past what the room delivered; past the
// replay limit its subscribers get resync instead and the room goes on from the head.
func (r *room) catchUp() {
	r.mu.Lock()
	if r.dead || r.seq == nil {
		r.mu.Unlock()
		return
	}
	after := r.seq.delivered()
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	head, err := r.deps.replay.Head(ctx, r.id)
	if err != nil {
		r.deps.log.Warn("realtime: catch up: read the log head", slog.String("workspace_id", r.id), slog.Any("error", err))
		return
	}
	if head <= after {
		return
	}
	if head-after > int64(r.deps.replayLimit) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.dead && r.seq.delivered() < head {
			r.resyncLocked(head)
		}
		return
	}
	for after < head {
		entries, err := r.deps.replay.Since(ctx, r.id, after, replayPage)
		if err != nil || len(entries) == 0 {
			if err != nil {
				r.deps.log.Warn("realtime: catch up: read the log", slog.String("workspace_id", r.id), slog.Any("error", err))
			}
			return
		}
		if !r.offerAll(entries) {
			return
		}
		after = entries[len(entries)-1].Seq
	}
}

// offerAll runs entries read from the log through the sequencer; false: the room is gone.
func (r *room) offerAll(entries []auditlog.Entry) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return false
	}
	for _, e := range entries {
		for _, d := range r.seq.offer(e) {
			r.deliverLocked(d)
		}
	}
	r.armFillLocked()
	return true
}

// resyncLocked tells every subscriber that what came before head must be refetched, and
// restarts the room's sequence at head; entries already waiting past it are kept.
func (r *room) resyncLocked(head int64) {
	r.deps.log.Warn("realtime: too much missed to replay; subscribers resync", slog.String("workspace_id", r.id), slog.Int64("head", head))
	f := frame{b: encodeWorkspaceFrame(TypeResync, nil, r.id, "")}
	for _, sb := range r.subs {
		sb.sendLocked(f, r.deps.bufferLimit)
	}
	waiting := r.seq.pending
	r.seq = newSequencer(head)
	for _, e := range waiting {
		for _, d := range r.seq.offer(e) {
			r.deliverLocked(d)
		}
	}
	r.armFillLocked()
}
