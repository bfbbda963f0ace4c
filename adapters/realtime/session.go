package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// session is one connection's protocol, whatever its transport: who it is (auth and its
// refresh, the token's expiry), which rooms it is in (join with resume and replay, leave,
// removal), and its limits. Its frames go out through its outbox.
type session struct {
	hub *Hub
	id  string
	t   transport
	out *outbox

	mu         sync.Mutex
	userID     string // set once, by the first auth, before the session joins any room
	generation int64  // the token's generation (see Hub.Revoke)
	rooms      map[string]*room
	timer      clock.Timer // the auth deadline, then the token's expiry
	ended      bool

	// batch: the client asked, in its first auth, for several frames per WebSocket message.
	batch atomic.Bool
}

func newSession(h *Hub, id string, t transport) *session {
	o := h.opts
	return &session{hub: h, id: id, t: t, out: newOutbox(outboxLimits{
		size: o.QueueSize, liveWait: o.LiveWait, stuckWrite: o.StuckWrite, replayWait: o.WriteTimeout,
		queueFull: o.Metrics.QueueFull, closed: o.Metrics.Closed,
	})}
}

// user returns the authenticated user id, "" before auth.
func (s *session) user() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userID
}

// tokenOlder reports whether the session is uid's with a token older than generation.
func (s *session) tokenOlder(uid string, generation int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userID == uid && s.generation < generation
}

// claim makes the session p's user's, within the per-user limit (false: the user is at it),
// with p's token generation, set together so that a revocation sweep judges the right token.
func (s *session) claim(p identity.Principal) bool {
	if !s.hub.users.add(s, p.UserID, s.t.unidirectional()) {
		return false
	}
	s.mu.Lock()
	s.userID, s.generation = p.UserID, p.Generation
	s.mu.Unlock()
	return true
}

// setTimer replaces the session's one timer (the auth deadline, later the token expiry).
func (s *session) setTimer(d time.Duration, code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	if !s.ended && !s.out.isClosing() {
		s.timer = s.hub.clock.AfterFunc(d, func() { s.out.close(code, reason) })
	}
}

// end marks the transport gone and returns the rooms the session was in and its user.
func (s *session) end() ([]*room, string) {
	s.out.end()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	if s.timer != nil {
		s.timer.Stop()
	}
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.rooms = nil
	return rooms, s.userID
}

// handle answers one decoded client frame.
func (s *session) handle(ctx context.Context, in Inbound) {
	switch in.Type {
	case TypePing:
		s.out.enqueue(frame{b: encodeSimple(TypePong, in.Ref)})
		return
	case TypeAuth:
		s.authenticate(ctx, in.Ref, in.Token, in.Batch)
		return
	}
	if s.user() == "" {
		s.out.enqueue(frame{b: encodeProblem(in.Ref, errAuthFirst)})
		return
	}
	switch in.Type {
	case TypeJoin:
		if e := s.join(ctx, in.Ref, in.WorkspaceID, in.Since, in.HasSince); e != nil {
			s.out.enqueue(frame{b: encodeProblem(in.Ref, e)})
		}
	case TypeLeave:
		s.leave(in.WorkspaceID)
		s.out.enqueue(frame{b: encodeWorkspaceFrame(TypeLeft, in.Ref, in.WorkspaceID, "")})
	}
}

// authenticate verifies a token: the first success makes the session ready (batched when the
// client asks), a later one (a refresh) must be for the same user and moves the expiry.
func (s *session) authenticate(ctx context.Context, ref json.RawMessage, token string, batch bool) {
	p, err := s.hub.auth.Verify(ctx, token)
	prev := s.user()
	if err != nil && apperr.KindOf(err) != apperr.Unauthenticated {
		// Not a verdict on the token: the store did not answer. Say so, as REST would (503).
		e, logIt := problem.Of(err)
		if logIt {
			s.hub.log.WarnContext(ctx, "realtime: verify a token", slog.String("code", e.Code), slog.Any("error", err))
		}
		if prev == "" {
			// Whatever the failure, the token was not judged: the client retries (1013).
			s.out.closeAfter(frame{b: encodeProblem(ref, e)}, cmp.Or(problem.CloseCode(e.Kind), CloseTryAgain),
				"the token could not be checked; reconnect with backoff")
		} else {
			s.out.enqueue(frame{b: encodeProblem(ref, e)})
		}
		return
	}
	switch {
	case err != nil && prev == "":
		s.out.close(problem.CloseCode(apperr.KindOf(err)), "invalid token")
		return
	case err != nil:
		s.out.enqueue(frame{b: encodeProblem(ref, errRefreshToken)})
		return
	case prev != "" && p.UserID != prev:
		s.out.enqueue(frame{b: encodeProblem(ref, errOtherUser)})
		return
	}
	if prev == "" && batch {
		s.batch.Store(true)
	}
	s.authenticated(ref, p, prev == "")
}

// authenticated makes a verified principal the session's (first: it claims its user's slot)
// and arms the expiry timer. It reports false when the session is closing instead.
func (s *session) authenticated(ref json.RawMessage, p identity.Principal, first bool) bool {
	if first && !s.claim(p) {
		s.out.close(problem.CloseCode(errTooManyConnections.Kind), errTooManyConnections.Message)
		return false
	}
	s.mu.Lock()
	s.generation = p.Generation
	s.mu.Unlock()
	if s.hub.isRevoked(p.UserID, p.Generation) { // verified just before a revocation swept past
		s.out.close(CloseUnauthorized, "token revoked")
		return false
	}
	s.setTimer(p.ExpiresAt.Sub(s.hub.clock.Now()), CloseUnauthorized, "token expired")
	if !s.t.unidirectional() {
		s.out.enqueue(frame{b: encodeReady(ref, p.UserID, s.id, p.ExpiresAt, s.batch.Load())})
	}
	return true
}

// leave takes the session out of workspace wid's room; leaving a room it is not in is not an
// error.
func (s *session) leave(wid string) {
	s.mu.Lock()
	r := s.rooms[wid]
	delete(s.rooms, wid)
	s.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.subs, s)
	r.mu.Unlock()
	s.hub.maybeDrop(r)
}

// removed tells the session it is out of room r (the member was removed, the workspace
// deleted): a stream, which serves one workspace, ends there.
func (s *session) removed(r *room, reason string) {
	s.forget(r)
	f := frame{b: encodeWorkspaceFrame(TypeRemoved, nil, r.id, reason)}
	if s.t.unidirectional() {
		s.out.closeAfter(f, 0, reason)
		return
	}
	s.out.enqueue(f)
}

// forget drops r from the session's rooms, unless the session joined it again since.
func (s *session) forget(r *room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms[r.id] == r {
		delete(s.rooms, r.id)
	}
}
