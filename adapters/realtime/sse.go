package realtime

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// ServeSSE serves GET /events?ticket=T&workspaceId=W: one workspace's frames as Server-Sent
// Events, for networks that block WebSockets. Each message's data is a protocol v1 frame
// (joined, event, resync, removed, error, close); event frames carry `id: seq`, so a
// reconnecting EventSource sends Last-Event-ID, which is honoured exactly as join's since (so
// is a `since` query parameter, for a new EventSource that cannot set the header).
//
// The stream takes over the connection (as a WebSocket does), so the HTTP server's write
// timeout does not cut it and a graceful shutdown drains REST first, then ends streams with a
// close frame of code 1001 in batches (Hub.Shutdown).
func (h *Hub) ServeSSE(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	wid := q.Get("workspaceId")
	if !ids.Valid(wid) {
		writeProblem(w, http.StatusBadRequest, "invalid_id", "workspaceId must be 24 lowercase hex characters")
		return
	}
	since, hasSince := int64(0), false
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		since, hasSince = parseSince(v)
	} else if v := q.Get("since"); v != "" {
		since, hasSince = parseSince(v)
	}
	if since < 0 {
		writeProblem(w, http.StatusBadRequest, "invalid_since", "Last-Event-ID (or since) must be a non-negative integer seq")
		return
	}
	rctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	tk, err := h.tickets.redeem(rctx, q.Get("ticket"), time.Now())
	cancel()
	switch {
	case errors.Is(err, ErrTooManyTickets):
		writeProblem(w, http.StatusTooManyRequests, "too_many_tickets", "too many SSE tickets are outstanding; retry shortly")
		return
	case errors.Is(err, errBadTicket) || (err == nil && !time.Now().Before(tk.tokenUntil())):
		writeProblem(w, http.StatusUnauthorized, "invalid_ticket", "the ticket is unknown, used or expired; get a new one from POST /api/v1/realtime/tickets")
		return
	case err != nil:
		h.log.WarnContext(r.Context(), "realtime: record a ticket's use", slog.Any("error", err))
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "the ticket could not be checked; retry")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	err = h.az.Authorize(ctx, wid, tk.UserID, authz.WorkspaceRead)
	cancel()
	switch apperr.KindOf(err) {
	case apperr.Internal:
		if err != nil {
			writeProblem(w, http.StatusServiceUnavailable, "unavailable", "the workspace could not be checked; retry")
			return
		}
	case apperr.Forbidden:
		writeProblem(w, http.StatusForbidden, "forbidden", "you may not read this workspace")
		return
	default:
		writeProblem(w, http.StatusNotFound, "workspace_not_found", "no such workspace")
		return
	}
	if !h.countSSE(tk.UserID, +1) {
		writeProblem(w, http.StatusTooManyRequests, "too_many_connections", "this user has too many realtime connections")
		return
	}
	defer h.countSSE(tk.UserID, -1)
	c := newClient(h, ids.New(), true)
	if !h.register(c) {
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down; reconnect to another instance")
		return
	}
	defer h.unregister(c)
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "internal", "streaming is not supported here")
		return
	}
	defer netConn.Close()
	setSendBuffer(netConn, h.opts.SendBuffer)
	if err := writeSSEHead(netConn, brw.Writer, w.Header()); err != nil {
		return
	}
	h.authenticated(c, nil, identity.Principal{UserID: tk.UserID, ExpiresAt: tk.tokenUntil()}, true)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		h.writeSSE(netConn, brw.Writer, c)
	}()
	jctx := context.WithoutCancel(r.Context())
	if err := h.join(jctx, c, nil, wid, since, hasSince); err != nil {
		var je *joinError
		if errors.As(err, &je) {
			c.closeAfter(frame{b: encodeError(nil, je.code, je.msg)}, 0, je.msg)
		}
	}
	// The client sends nothing more; reading tells when it went away.
	var buf [64]byte
	for {
		if _, err := netConn.Read(buf[:]); err != nil {
			break
		}
	}
	c.end()
	<-writerDone
}

func parseSince(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return -1, false
	}
	return n, true
}

// countSSE counts a user's SSE streams against the per-user connection limit (they are not in
// a user room, so the room cannot count them).
func (h *Hub) countSSE(uid string, delta int) bool {
	h.usersMu.Lock()
	defer h.usersMu.Unlock()
	if h.sseCount == nil {
		h.sseCount = map[string]int{}
	}
	n := h.sseCount[uid] + delta
	if delta > 0 && n+len(h.users[uid]) > h.opts.MaxConnsPerUser {
		return false
	}
	if n <= 0 {
		delete(h.sseCount, uid)
	} else {
		h.sseCount[uid] = n
	}
	return true
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

// writeSSE drains the client's queue as SSE messages and writes a comment line every
// PingInterval; a peer that takes nothing for WriteTimeout is dropped.
func (h *Hub) writeSSE(conn net.Conn, bw *bufio.Writer, c *client) {
	beat := time.NewTicker(h.opts.PingInterval)
	defer beat.Stop()
	defer conn.Close()
	for {
		select {
		case <-c.wake:
		case <-beat.C:
			_ = conn.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
			if _, err := bw.WriteString(": ping\n\n"); err != nil || bw.Flush() != nil {
				return
			}
			continue
		case <-c.done:
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
		if !drainSSE(bw, c) {
			return
		}
	}
}

// drainSSE writes what is queued as SSE messages, marking the time spent writing (see
// client.enqueueLive); it reports false once the stream is over.
func drainSSE(bw *bufio.Writer, c *client) bool {
	c.writeSince.Store(time.Now().UnixNano())
	defer c.writeSince.Store(0)
	for {
		f, ok, closing, code, reason := c.next()
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
