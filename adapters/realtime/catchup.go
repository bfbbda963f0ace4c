package realtime

import (
	"context"
	"log/slog"
	"maps"
	"slices"
)

// Ready reports whether this hub hears about changes made through other instances (always,
// with the in-process bus). /readyz shows it apart from REST readiness: an instance whose bus
// is down still serves REST, and its rooms keep up by reading the log (see lost).
func (h *Hub) Ready(ctx context.Context) error { return h.bus.Ready(ctx) }

// lost is the bus saying entries may have been missed: a reconnect after an outage, a
// dropped message, or a poll tick while the bus is down. Every room re-reads the log from
// what it delivered, in the background (the bus must not block). Catch-ups run one at a time;
// requests made before the next one starts reading are served by it.
func (h *Hub) lost() {
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
	h.mu.Lock()
	rooms := slices.Collect(maps.Values(h.rooms))
	h.mu.Unlock()
	for _, r := range rooms {
		r.catchUp()
	}
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
	head, err := r.hub.replay.Head(ctx, r.id)
	if err != nil {
		r.hub.log.Warn("realtime: catch up: read the log head", slog.String("workspace_id", r.id), slog.Any("error", err))
		return
	}
	if head <= after {
		return
	}
	if head-after > int64(r.hub.opts.ReplayLimit) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.dead && r.seq.delivered() < head {
			r.resyncLocked(head)
		}
		return
	}
	for after < head {
		entries, err := r.hub.replay.Since(ctx, r.id, after, replayPage)
		if err != nil || len(entries) == 0 {
			if err != nil {
				r.hub.log.Warn("realtime: catch up: read the log", slog.String("workspace_id", r.id), slog.Any("error", err))
			}
			return
		}
		r.mu.Lock()
		if r.dead {
			r.mu.Unlock()
			return
		}
		for _, e := range entries {
			for _, d := range r.seq.offer(e) {
				r.deliverLocked(d)
			}
		}
		r.armFillLocked()
		r.mu.Unlock()
		after = entries[len(entries)-1].Seq
	}
}

// resyncLocked tells every subscriber that what came before head must be refetched, and
// restarts the room's sequence at head; entries already waiting past it are kept.
func (r *room) resyncLocked(head int64) {
	r.hub.log.Warn("realtime: too much missed to replay; subscribers resync", slog.String("workspace_id", r.id), slog.Int64("head", head))
	f := frame{b: encodeWorkspaceFrame(TypeResync, nil, r.id, "")}
	for _, s := range r.subs {
		s.send(f)
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
