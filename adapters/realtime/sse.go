package realtime

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/problem"
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
	rctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	tk, err := h.tickets.redeem(rctx, q.Get("ticket"), time.Now())
	switch {
	case err == nil && !time.Now().Before(tk.tokenUntil()):
		err = errInvalidTicket
	case err == nil: // the token it stands for may have been revoked since, here or elsewhere
		err = h.auth.Recheck(rctx, tk.principal())
	}
	cancel()
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	err = h.az.Authorize(ctx, wid, tk.UserID, authz.WorkspaceRead)
	cancel()
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if !h.countSSE(tk.UserID, +1) {
		problem.Write(w, r, errTooManyConnections)
		return
	}
	defer h.countSSE(tk.UserID, -1)
	c := newClient(h, ids.New(), true)
	if !h.register(c) {
		problem.Write(w, r, errShuttingDown)
		return
	}
	defer h.unregister(c)
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		h.refuse(w, r, fmt.Errorf("realtime: take over the connection: %w", err))
		return
	}
	defer netConn.Close()
	setSendBuffer(netConn, h.opts.SendBuffer)
	if err := writeSSEHead(netConn, brw.Writer, w.Header()); err != nil {
		return
	}
	authenticated := h.authenticated(c, nil, tk.principal(), true) // false: revoked meanwhile, closing
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		h.writeSSE(netConn, brw.Writer, c)
	}()
	if authenticated {
		if e := h.join(context.WithoutCancel(r.Context()), c, nil, wid, since, hasSince); e != nil {
			c.closeAfter(frame{b: encodeProblem(nil, e)}, 0, e.Message)
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
