package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/workspaceops/workspaceops/platform/ids"
)

// ServeWS serves GET /ws: protocol v1 over a WebSocket. A connection authenticates with an
// Authorization: Bearer header on the handshake or an auth frame within AuthTimeout; a token in
// the query string is refused (it would leak into logs).
//
// Each connection costs two goroutines: this handler's reader loop and one writer draining the
// client's queue (pings run from the writer in a short-lived goroutine every PingInterval).
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("token") || q.Has("access_token") {
		writeProblem(w, http.StatusBadRequest, "token_in_query", "send the token in an auth frame or the Authorization header, never in the URL")
		return
	}
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down; reconnect to another instance")
		return
	}
	c := newClient(h, ids.New(), false)
	var (
		authed bool
		ref    json.RawMessage
	)
	if hdr := r.Header.Get("Authorization"); hdr != "" {
		scheme, tok, _ := strings.Cut(hdr, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			writeProblem(w, http.StatusUnauthorized, "invalid_token", "the Authorization header must be Bearer <token>")
			return
		}
		p, err := h.auth.Verify(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			writeProblem(w, http.StatusUnauthorized, "invalid_token", "the token is invalid or expired")
			return
		}
		if !h.addUser(c, p.UserID) {
			writeProblem(w, http.StatusTooManyRequests, "too_many_connections", "this user has too many realtime connections")
			return
		}
		c.userID = p.UserID
		defer func() {
			if !authed { // the upgrade failed: give the slot back
				h.unregister(c)
			}
		}()
		conn, err := websocket.Accept(h.tuned(w), r, &websocket.AcceptOptions{OriginPatterns: h.origins})
		if err != nil {
			return
		}
		authed = true
		h.serveConn(r.Context(), conn, c, func() { h.authenticated(c, ref, p, false) })
		return
	}
	conn, err := websocket.Accept(h.tuned(w), r, &websocket.AcceptOptions{OriginPatterns: h.origins})
	if err != nil {
		return // Accept answered (403 for a foreign origin, 400/426 for a bad handshake)
	}
	h.serveConn(r.Context(), conn, c, func() {
		c.setTimer(h.opts.AuthTimeout, CloseUnauthorized, "authentication timeout")
	})
}

// serveConn runs an accepted connection until it ends.
func (h *Hub) serveConn(reqCtx context.Context, conn *websocket.Conn, c *client, start func()) {
	ctx := context.WithoutCancel(reqCtx) // keeps the request id for logs, not its cancellation
	conn.SetReadLimit(h.opts.ReadLimit)
	if !h.register(c) {
		h.unregister(c)
		_ = conn.Close(CloseGoingAway, "server going away")
		return
	}
	defer h.unregister(c)
	start()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		h.writeLoop(conn, c)
	}()
	h.readLoop(ctx, conn, c)
	c.end()
	<-writerDone
	_ = conn.CloseNow()
}

// readLoop reads and handles client frames until the connection fails or closes.
func (h *Hub) readLoop(ctx context.Context, conn *websocket.Conn, c *client) {
	limiter := newBucket(h.opts.FrameRate, h.opts.FrameBurst)
	for {
		typ, b, err := conn.Read(context.Background())
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				h.log.DebugContext(ctx, "realtime: frame too big", slog.String("connection_id", c.id))
			}
			return
		}
		if !limiter.allow(time.Now()) {
			c.close(ClosePolicy, "rate limit: too many frames per second")
			continue // keep reading so the close handshake completes
		}
		if typ != websocket.MessageText {
			c.enqueue(frame{b: encodeError(nil, CodeBadRequest, "frames are JSON text")})
			continue
		}
		in, err := Decode(b)
		if err != nil {
			var pe *ProtocolError
			errors.As(err, &pe)
			c.enqueue(frame{b: encodeError(pe.Ref, CodeBadRequest, pe.Message)})
			continue
		}
		h.handle(ctx, c, in)
	}
}

// handle answers one decoded client frame.
func (h *Hub) handle(ctx context.Context, c *client, in Inbound) {
	switch in.Type {
	case TypePing:
		c.enqueue(frame{b: encodeSimple(TypePong, in.Ref)})
		return
	case TypeAuth:
		h.authenticate(ctx, c, in.Ref, in.Token)
		return
	}
	if c.user() == "" {
		c.enqueue(frame{b: encodeError(in.Ref, CodeUnauthorized, "send an auth frame first")})
		return
	}
	switch in.Type {
	case TypeJoin:
		if err := h.join(ctx, c, in.Ref, in.WorkspaceID, in.Since, in.HasSince); err != nil {
			var je *joinError
			if errors.As(err, &je) {
				c.enqueue(frame{b: encodeError(in.Ref, je.code, je.msg)})
			}
		}
	case TypeLeave:
		h.leave(c, in.WorkspaceID)
		c.enqueue(frame{b: encodeWorkspaceFrame(TypeLeft, in.Ref, in.WorkspaceID, "")})
	}
}

// writeLoop drains the client's queue to the socket, pings every PingInterval, and performs
// the close the hub asked for.
func (h *Hub) writeLoop(conn *websocket.Conn, c *client) {
	ping := time.NewTicker(h.opts.PingInterval)
	defer ping.Stop()
	var pinging atomic.Bool
	for {
		select {
		case <-c.wake:
		case <-ping.C:
			if pinging.Swap(true) {
				continue // the previous ping is still out; its timeout drops a dead peer
			}
			go func() {
				defer pinging.Store(false)
				ctx, cancel := context.WithTimeout(context.Background(), h.opts.PingInterval)
				defer cancel()
				if err := conn.Ping(ctx); err != nil {
					_ = conn.CloseNow() // a dead peer: no handshake to wait for
				}
			}()
			continue
		case <-c.done:
			return
		}
		// One deadline per burst, renewed every half WriteTimeout: every write gets at least
		// half of it, without a timer per frame.
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.WriteTimeout)
		for {
			if time.Since(start) > h.opts.WriteTimeout/2 {
				cancel()
				start = time.Now()
				ctx, cancel = context.WithTimeout(context.Background(), h.opts.WriteTimeout)
			}
			f, ok, closing, code, reason := c.next()
			if !ok {
				cancel()
				if closing {
					if code == 0 {
						code = int(websocket.StatusNormalClosure)
					}
					_ = conn.Close(websocket.StatusCode(code), reason)
					return
				}
				break
			}
			if err := conn.Write(ctx, websocket.MessageText, f.b); err != nil {
				cancel()
				_ = conn.CloseNow()
				return
			}
		}
	}
}

// tunedWriter hands coder/websocket the connection it hijacks with the kernel send buffer set
// to Options.SendBuffer: it bounds the memory a connection holds in the kernel, and a peer that
// stops reading fills it, then the queue, and is closed with 4008 after kilobytes, not megabytes.
type tunedWriter struct {
	http.ResponseWriter
	sendBuffer int
}

// WriteHeaderNow passes gin's header flush through (coder/websocket calls it before hijacking).
func (w tunedWriter) WriteHeaderNow() {
	if g, ok := w.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		g.WriteHeaderNow()
	}
}

func (w tunedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		setSendBuffer(conn, w.sendBuffer)
	}
	return conn, brw, err
}

func (h *Hub) tuned(w http.ResponseWriter) http.ResponseWriter {
	return tunedWriter{ResponseWriter: w, sendBuffer: h.opts.SendBuffer}
}

func setSendBuffer(conn net.Conn, size int) {
	if tc, ok := conn.(interface{ SetWriteBuffer(int) error }); ok && size > 0 {
		_ = tc.SetWriteBuffer(size)
	}
}

// writeProblem answers a refused handshake with an RFC 9457 problem, like the REST API.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "urn:workspaceops:problem:" + code, "title": http.StatusText(status), "status": status,
		"detail": detail, "code": code,
	})
}
