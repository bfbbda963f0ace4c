package realtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// Events serves GET /events?ticket=T&workspaceId=W: one workspace's frames as Server-Sent
// Events, for networks that block WebSockets, and issues the single-use tickets it takes.
// Each message's data is a protocol v1 frame (joined, event, resync, removed, error, close);
// event frames carry `id: seq`, so a reconnecting EventSource sends Last-Event-ID, which is
// honoured exactly as join's since (so is a `since` query parameter, for a new EventSource that
// cannot set the header).
//
// The stream takes over the connection (as a WebSocket does), so the HTTP server's write
// timeout does not cut it and a graceful shutdown drains REST first, then ends streams with a
// close message of code 1001 in batches (Hub.Shutdown).
type Events struct {
	hub     *Hub
	opts    Options
	tickets *tickets
}

// TicketConfig says how SSE tickets are signed and their use recorded.
type TicketConfig struct {
	// Key signs tickets; instances behind one load balancer share it. Empty: a random key,
	// good for one instance.
	Key []byte
	// Redemptions records used tickets; nil: in memory, for one instance.
	Redemptions Redemptions
}

// NewEvents returns the SSE transport of the hub.
func NewEvents(h *Hub, tc TicketConfig) *Events {
	tk := &tickets{key: tc.Key, ttl: h.opts.TicketTTL, used: tc.Redemptions}
	if len(tk.key) == 0 {
		tk.key = make([]byte, 32)
		_, _ = rand.Read(tk.key) // crypto/rand.Read never fails on supported platforms
	}
	if tk.used == nil {
		tk.used = NewMemoryRedemptions(h.opts.MaxTickets)
	}
	return &Events{hub: h, opts: h.opts, tickets: tk}
}

// sseStream is an SSE response: its session's transport.
type sseStream struct {
	signal chan struct{} // capacity 1: the writer has work (frames or a close)
}

func (st *sseStream) wake() {
	select {
	case st.signal <- struct{}{}:
	default:
	}
}

func (st *sseStream) unidirectional() bool { return true }

// ServeHTTP checks the request (ticket, membership, the per-user limit), then streams.
func (ev *Events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	wid := q.Get("workspaceId")
	if !ids.Valid(wid) {
		problem.Write(w, r, errInvalidWorkspaceID)
		return
	}
	since, hasSince := int64(0), false
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		since, hasSince = parseSince(v)
	} else if v := q.Get("since"); v != "" {
		since, hasSince = parseSince(v)
	}
	if since < 0 {
		problem.Write(w, r, errInvalidSince)
		return
	}
	tk, err := ev.admit(r.Context(), q.Get("ticket"), wid)
	if err != nil {
		refuse(w, r, ev.hub.log, err)
		return
	}
	st := &sseStream{signal: make(chan struct{}, 1)}
	s := newSession(ev.hub, ids.New(), st)
	if !s.claim(tk.principal()) {
		problem.Write(w, r, errTooManyConnections)
		return
	}
	if !ev.hub.register(s) {
		ev.hub.unregister(s)
		problem.Write(w, r, errShuttingDown)
		return
	}
	defer ev.hub.unregister(s)
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		refuse(w, r, ev.hub.log, fmt.Errorf("realtime: take over the connection: %w", err))
		return
	}
	defer netConn.Close()
	setSendBuffer(netConn, ev.opts.SendBuffer)
	if err := writeSSEHead(netConn, brw.Writer, w.Header()); err != nil {
		return
	}
	ev.stream(context.WithoutCancel(r.Context()), netConn, brw.Writer, s, tk, wid, since, hasSince)
}

// admit redeems the ticket and authorizes its user to read workspace wid.
func (ev *Events) admit(ctx context.Context, value, wid string) (ticket, error) {
	rctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	tk, err := ev.tickets.redeem(rctx, value, ev.hub.clock.Now())
	switch {
	case err != nil:
		return ticket{}, err
	case !ev.hub.clock.Now().Before(tk.tokenUntil()):
		return ticket{}, errInvalidTicket
	}
	// The token it stands for may have been revoked since, here or elsewhere.
	if err := ev.hub.auth.Recheck(rctx, tk.principal()); err != nil {
		return ticket{}, err
	}
	return tk, ev.hub.readers.authorize(ctx, ev.hub.az, wid, tk.UserID)
}

// stream runs an admitted stream until the client goes away or the session closes it.
func (ev *Events) stream(ctx context.Context, conn net.Conn, bw *bufio.Writer, s *session, tk ticket, wid string, since int64, hasSince bool) {
	s.out.attach(s.t)
	// The user's slot is already claimed; false: revoked meanwhile, closing.
	authenticated := s.authenticated(nil, tk.principal(), false)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		ev.write(conn, bw, s)
	}()
	if authenticated {
		if e := s.join(ctx, nil, wid, since, hasSince); e != nil {
			s.out.closeAfter(frame{b: encodeProblem(nil, e)}, 0, e.Message)
		}
	}
	// The client sends nothing more; reading tells when it went away.
	var buf [64]byte
	for {
		if _, err := conn.Read(buf[:]); err != nil {
			break
		}
	}
	s.out.end()
	<-writerDone
}

func parseSince(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return -1, false
	}
	return n, true
}

// writeSSEHead writes the response head of a stream on a hijacked connection, keeping the
// headers the middleware set (request id, CORS).
func writeSSEHead(conn net.Conn, bw *bufio.Writer, hdr http.Header) error {
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Connection", "close")
	hdr.Set("X-Accel-Buffering", "no")
	hdr.Del("Content-Length")
	if _, err := bw.WriteString("HTTP/1.1 200 OK\r\n"); err != nil {
		return err
	}
	if err := hdr.Write(bw); err != nil {
		return err
	}
	if _, err := bw.WriteString("\r\nretry: 2000\n\n"); err != nil {
		return err
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return bw.Flush()
}

// write drains the session's outbox as SSE messages and writes a comment line every
// PingInterval; a peer that takes nothing for WriteTimeout is dropped.
func (ev *Events) write(conn net.Conn, bw *bufio.Writer, s *session) {
	beat := time.NewTicker(ev.opts.PingInterval)
	defer beat.Stop()
	defer conn.Close()
	st := s.t.(*sseStream)
	for {
		select {
		case <-st.signal:
		case <-beat.C:
			_ = conn.SetWriteDeadline(time.Now().Add(ev.opts.WriteTimeout))
			if _, err := bw.WriteString(": ping\n\n"); err != nil || bw.Flush() != nil {
				return
			}
			continue
		case <-s.out.done:
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(ev.opts.WriteTimeout))
		if !drainSSE(bw, s.out, &s.hub.opts.Metrics) {
			return
		}
	}
}

// drainSSE writes what is queued as SSE messages, marking the time spent writing (see
// outbox.enqueueLive); it reports false once the stream is over.
func drainSSE(bw *bufio.Writer, out *outbox, m *Metrics) bool {
	out.writeSince.Store(time.Now().UnixNano())
	defer out.writeSince.Store(0)
	for {
		f, ok, closing, code, reason := out.next()
		if !ok {
			if closing {
				if code != 0 {
					writeSSEMessage(bw, frame{b: encodeClose(code, reason)})
				}
				_ = bw.Flush()
				return false
			}
			return bw.Flush() == nil
		}
		writeSSEMessage(bw, f)
		m.written([]frame{f}, m.SSEDeliveries)
		if bw.Buffered() > 32<<10 {
			if bw.Flush() != nil {
				return false
			}
		}
	}
}

func writeSSEMessage(bw *bufio.Writer, f frame) {
	if f.seq > 0 {
		bw.WriteString("id: ")
		bw.WriteString(strconv.FormatInt(f.seq, 10))
		bw.WriteByte('\n')
	}
	bw.WriteString("data: ")
	bw.Write(f.b) // JSON has no raw newline, so one data line carries it
	bw.WriteString("\n\n")
}
