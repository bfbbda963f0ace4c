package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// join puts the session in workspace wid's room: it authorizes against current membership
// (every join, resumed or not), answers joined with the head seq, replays what followed since
// (or sends resync past the replay limit), then switches to the live stream with no gap at the
// seam. A refused join returns the error for the transport to answer.
func (s *session) join(ctx context.Context, ref json.RawMessage, wid string, since int64, hasSince bool) *apperr.Error {
	s.mu.Lock()
	_, already := s.rooms[wid]
	n := len(s.rooms)
	s.mu.Unlock()
	if already {
		s.leave(wid)
	} else if n >= s.hub.opts.MaxJoins {
		return errTooManyJoins
	}
	r, err := s.hub.acquireRoom(ctx, wid)
	if err != nil {
		e, _ := problem.Of(err)
		s.hub.log.WarnContext(ctx, "realtime: read the log head", slog.String("workspace_id", wid), slog.Any("error", err))
		return e
	}
	defer s.hub.releaseJoin(r)
	// Subscribe before authorizing: a removal that lands from now on evicts this join, and one
	// that landed before is seen by the authorization.
	sb, base := s.subscribe(r)
	if err = s.hub.readers.authorize(ctx, s.hub.az, wid, s.user()); err != nil {
		s.unsubscribe(r, sb)
		e, logIt := problem.Of(err)
		if logIt {
			s.hub.log.WarnContext(ctx, "realtime: authorize join", slog.String("workspace_id", wid), slog.Any("error", err))
		}
		return e
	}
	if !s.out.enqueue(frame{b: encodeJoined(ref, wid, base)}) {
		return nil
	}
	if hasSince && !s.replay(ctx, r, sb, since, base) {
		return nil
	}
	s.seam(r, sb)
	return nil
}

// subscribe adds a joining subscriber to r and returns it with the seq the live stream starts
// after.
func (s *session) subscribe(r *room) (*sub, int64) {
	sb := &sub{s: s, joining: true}
	r.mu.Lock()
	r.subs[s] = sb
	base := r.seq.delivered()
	r.mu.Unlock()
	s.mu.Lock()
	if s.rooms == nil {
		s.rooms = map[string]*room{}
	}
	s.rooms[r.id] = r
	s.mu.Unlock()
	return sb, base
}

// unsubscribe takes the session out of a room it was joining or in.
func (s *session) unsubscribe(r *room, sb *sub) {
	r.mu.Lock()
	if r.subs[s] == sb {
		delete(r.subs, s)
	}
	r.mu.Unlock()
	s.forget(r)
}

// seam hands over what the live stream buffered during the replay, until nothing is left, then
// goes live; an eviction that came meanwhile is told now, after the replay.
func (s *session) seam(r *room, sb *sub) {
	for {
		r.mu.Lock()
		if sb.evicted != "" {
			r.mu.Unlock()
			s.removed(r, sb.evicted)
			return
		}
		if r.subs[s] != sb {
			r.mu.Unlock()
			return
		}
		buf := sb.buf
		sb.buf = nil
		if len(buf) == 0 {
			sb.joining = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		for _, f := range buf {
			if !s.out.enqueueWait(f) {
				return
			}
		}
	}
}

// replay sends the entries after since up to base (the seq the live stream starts after), or
// resync when that is more than the replay limit or cannot be read. It reports whether the
// join goes on.
func (s *session) replay(ctx context.Context, r *room, sb *sub, since, base int64) bool {
	m := &s.hub.opts.Metrics
	if since > base {
		// The client saw more than this hub delivered: entries in flight, or a log it cannot
		// have seen (a reset database): only the latter needs a resync.
		hctx, cancel := context.WithTimeout(ctx, dbTimeout)
		head, err := s.hub.replay.Head(hctx, r.id)
		cancel()
		if err != nil || since > head {
			m.Resynced.Add(1)
			return s.resync(r.id)
		}
		// Another instance already gave the client what this room has yet to deliver (with
		// several instances, entries reach each one at its own pace): skip those here.
		r.mu.Lock()
		sb.seen = since
		sb.buf = slices.DeleteFunc(sb.buf, func(f frame) bool { return f.seq != 0 && f.seq <= since })
		r.mu.Unlock()
		m.ResumedFromMemory.Add(1)
		return true
	}
	if base-since > int64(s.hub.opts.ReplayLimit) {
		m.Resynced.Add(1)
		return s.resync(r.id)
	}
	if frames, ok := r.recentRange(since, base); ok {
		m.ResumedFromMemory.Add(1)
		for _, f := range frames {
			if !s.out.enqueueWait(f) {
				return false
			}
		}
		return true
	}
	if !s.replayLog(ctx, r, sb, since, base) {
		return false
	}
	m.ResumedFromLog.Add(1)
	return true
}

// replayLog sends the entries in (since, base] read from the log, a page at a time.
func (s *session) replayLog(ctx context.Context, r *room, sb *sub, since, base int64) bool {
	after := since
	for after < base {
		rctx, cancel := context.WithTimeout(ctx, dbTimeout)
		entries, err := s.hub.replay.Since(rctx, r.id, after, int(min(int64(replayPage), base-after)))
		cancel()
		if err != nil || len(entries) == 0 {
			if err != nil {
				s.hub.log.WarnContext(ctx, "realtime: replay", slog.String("workspace_id", r.id), slog.Any("error", err))
			}
			s.hub.opts.Metrics.Resynced.Add(1)
			return s.resync(r.id)
		}
		for _, e := range entries {
			if e.Seq <= after || e.Seq > base {
				continue
			}
			b, err := EncodeEvent(e)
			if err != nil {
				s.hub.log.ErrorContext(ctx, "realtime: encode entry", slog.String("workspace_id", r.id), slog.Int64("seq", e.Seq), slog.Any("error", err))
				continue
			}
			if !s.out.enqueueWait(frame{b: b, seq: e.Seq}) {
				return false
			}
			after = e.Seq
		}
		r.mu.Lock()
		evicted := sb.evicted
		r.mu.Unlock()
		if evicted != "" {
			return true // the seam sends removed
		}
		after = max(after, entries[len(entries)-1].Seq)
	}
	return true
}

// resync tells the client to refetch workspace wid; it reports whether the join goes on.
func (s *session) resync(wid string) bool {
	return s.out.enqueue(frame{b: encodeWorkspaceFrame(TypeResync, nil, wid, "")})
}
