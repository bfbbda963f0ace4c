package realtime

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/logging"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// WebSocket serves GET /ws: protocol v1 over a WebSocket (github.com/coder/websocket). A
// connection authenticates with an Authorization: Bearer header on the handshake or an auth
// frame within AuthTimeout; a token in the query string is refused (it would leak into logs).
//
// An idle connection costs one goroutine with a small stack, blocked reading the socket
// (serve): the handler returns once the socket is accepted, which frees its goroutine, the
// request and net/http's buffers. A writer goroutine runs only while frames are queued
// (wsConn.wake), pings come from one wheel for all connections (pinger), and the buffers
// coder/websocket keeps for the connection are small (tunedWriter.Hijack). Live, that is a 4 KB
// stack and about 5 KB of heap; make bench (idle, 5,000 connections) measures 10-14 KB of RSS
// per connection with the GC's headroom (the spread is the RSS before connecting), kernel
// socket buffers aside, where a handler, a writer and a ticker per connection cost 33-58 KB.
type WebSocket struct {
	hub      *Hub
	opts     Options
	origins  []string // coder/websocket matches a pattern with "://" against scheme://host
	pings    pinger   // every connection's ping schedule
	handlers handlers // where the frames of every connection are handled
}

// NewWebSocket returns the WebSocket transport of the hub.
func NewWebSocket(h *Hub) *WebSocket {
	return &WebSocket{hub: h, opts: h.opts, origins: slices.Clone(h.opts.AllowedOrigins),
		handlers: handlers{waiting: make(chan func())}}
}

// ServeHTTP accepts a WebSocket, authenticated by its handshake's Authorization header or,
// later, by an auth frame.
func (ws *WebSocket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Has("token") || q.Has("access_token"):
		problem.Write(w, r, errTokenInQuery)
		return
	case !isHandshake(r):
		problem.Write(w, r, errNotHandshake)
		return
	case !ws.hub.accepting():
		problem.Write(w, r, errShuttingDown)
		return
	}
	c := &wsConn{ws: ws}
	c.s = newSession(ws.hub, ids.New(), c)
	start := func() { c.s.setTimer(ws.opts.AuthTimeout, CloseUnauthorized, "authentication timeout") }
	if r.Header.Get("Authorization") != "" || r.Header.Get(headerAPIKey) != "" {
		p, err := ws.verifyHeader(r)
		if err != nil {
			refuse(w, r, ws.hub.log, err)
			return
		}
		if !c.s.claim(p) {
			problem.Write(w, r, errTooManyConnections)
			return
		}
		start = func() { c.s.authenticated(nil, p, false) }
	}
	tw := &tunedWriter{ResponseWriter: w, sendBuffer: ws.opts.SendBuffer}
	conn, err := websocket.Accept(tw, r, &websocket.AcceptOptions{OriginPatterns: ws.origins})
	if err != nil {
		// Accept answered (403 for a foreign origin, 400/426 for a bad handshake); a claimed
		// slot is given back.
		ws.hub.unregister(c.s)
		return
	}
	c.conn, c.raw, c.cork = conn, tw.conn, tw.cork
	go c.serve(connContext(r), start)
}

// headerAPIKey carries an API key, as an alternative to Authorization: Bearer.
const headerAPIKey = "X-Api-Key"

// verifyHeader verifies the handshake's Authorization: Bearer token, or its X-Api-Key.
func (ws *WebSocket) verifyHeader(r *http.Request) (identity.Principal, error) {
	if key := strings.TrimSpace(r.Header.Get(headerAPIKey)); key != "" && r.Header.Get("Authorization") == "" {
		return ws.hub.auth.Verify(r.Context(), key)
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return identity.Principal{}, errBadAuthorization
	}
	return ws.hub.auth.Verify(r.Context(), strings.TrimSpace(tok))
}

// connContext is the context a connection's work runs in: the request id, for the logs, and
// nothing else of the request, which is over once the socket is accepted (an idle connection
// would otherwise keep the request's contexts alive, not to mention their cancellation).
func connContext(r *http.Request) context.Context {
	if id := logging.RequestID(r.Context()); id != "" {
		return logging.WithRequestID(context.Background(), id)
	}
	return context.Background()
}

// wsConn is an accepted WebSocket: its session's transport.
type wsConn struct {
	ws      *WebSocket
	s       *session
	conn    *websocket.Conn
	raw     net.Conn       // the socket under conn: its write deadline bounds a writer's run
	cork    *corkWriter    // what conn writes through: several frames, one write (nil: none)
	writers sync.WaitGroup // the writers running (one writes; a finishing one may overlap the next)
	pinging atomic.Bool    // a ping is out, waiting for its pong

	deadlineMu sync.Mutex
	runs       uint64 // writer runs started; the last one owns the socket's write deadline

	// The ping wheel's links, under ws.pings.mu.
	prev, next *wsConn
	slot       int
}

func (c *wsConn) unidirectional() bool { return false }

// serve runs an accepted connection until it ends, in its own goroutine: the one goroutine an
// idle connection has, reading. It starts fresh rather than from the HTTP handler, and hands
// every frame to another goroutine (inTurn), so that its stack holds only the read path.
func (c *wsConn) serve(ctx context.Context, start func()) {
	c.conn.SetReadLimit(c.ws.opts.ReadLimit)
	defer c.recover(ctx)
	h := c.ws.hub
	if !h.register(c.s) {
		h.unregister(c.s)
		h.opts.Metrics.Closed(CloseGoingAway)
		_ = c.conn.Close(CloseGoingAway, "server going away")
		return
	}
	defer h.unregister(c.s)
	c.s.out.attach(c)
	c.ws.pings.add(c)
	defer c.ws.pings.remove(c)
	c.inTurn(ctx, start)
	c.readLoop(ctx)
	c.s.out.end()
	c.writers.Wait() // a writer performing a close handshake finishes it
	_ = c.conn.CloseNow()
}

// recover, deferred, ends a connection whose goroutine panicked: the HTTP handler's recovery
// middleware does not cover the goroutines of a connection, and a bug must end the
// connection, not the server.
func (c *wsConn) recover(ctx context.Context) {
	if v := recover(); v != nil {
		c.ws.hub.log.ErrorContext(ctx, "realtime: panic serving a connection", slog.String("connection_id", c.s.id),
			slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		_ = c.conn.CloseNow()
	}
}

// inTurn runs f on one of the hub's frame handlers (handlers) and waits for it. A goroutine's
// stack keeps the size it ever grew to (until a GC shrinks it, a halving at a time), and
// handling a frame goes deep (JSON decoding, a join's reads of the log and of membership): on
// the reader, every idle connection would keep 8-16 KB of stack for good. Waiting keeps the
// frames of a connection handled in order.
func (c *wsConn) inTurn(ctx context.Context, f func()) {
	done := make(chan struct{})
	c.ws.handlers.run(func() {
		defer close(done)
		defer c.recover(ctx)
		f()
	})
	<-done
}

// handlerIdle is how long a frame handler waits for another frame before it exits.
const handlerIdle = 10 * time.Second

// handlers run the frames of every connection on goroutines that outlive one frame: a
// goroutine started per frame would grow its stack (a copy at each doubling) on every frame,
// the larger part of a connect's CPU after the system calls. There are as many as frames are
// handled at once, and one that waits handlerIdle for work exits.
type handlers struct {
	waiting chan func() // unbuffered: a send succeeds only when a handler is waiting
}

// run hands f to a waiting handler, or starts one.
func (h *handlers) run(f func()) {
	select {
	case h.waiting <- f:
	default:
		go h.loop(f)
	}
}

func (h *handlers) loop(f func()) {
	idle := time.NewTimer(handlerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(handlerIdle)
		select {
		case f = <-h.waiting:
		case <-idle.C:
			return
		}
	}
}

// readLoop reads client frames until the connection fails or closes, handling each in turn.
func (c *wsConn) readLoop(ctx context.Context) {
	limiter := newBucket(c.ws.opts.FrameRate, c.ws.opts.FrameBurst)
	for {
		typ, b, err := c.conn.Read(context.Background())
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				c.ws.hub.log.DebugContext(ctx, "realtime: frame too big", slog.String("connection_id", c.s.id))
			}
			return
		}
		if !limiter.allow(time.Now()) {
			c.s.out.close(ClosePolicy, "rate limit: too many frames per second")
			continue // keep reading so the close handshake completes
		}
		if typ != websocket.MessageText {
			c.s.out.enqueue(frame{b: encodeProblem(nil, errBinaryFrame)})
			continue
		}
		c.inTurn(ctx, func() { c.handleFrame(ctx, b) })
	}
}

// handleFrame decodes one text frame and hands it to the session.
func (c *wsConn) handleFrame(ctx context.Context, b []byte) {
	in, err := Decode(b)
	if err != nil {
		var pe *ProtocolError
		errors.As(err, &pe)
		c.s.out.enqueue(frame{b: encodeProblem(pe.Ref, errMalformedFrame.WithMessage(pe.Message))})
		return
	}
	c.s.handle(ctx, in)
}

// wake runs a writer for the outbox (outbox.wakeLocked calls it, under the outbox's lock).
func (c *wsConn) wake() {
	c.writers.Add(1)
	go c.write()
}

// MaxBatch is the most frames one WebSocket message carries for a client that asked for
// batches (auth with batch: true), newline-separated; maxBatchBytes bounds such a message (a
// larger frame still goes, alone).
const (
	MaxBatch      = 16
	maxBatchBytes = 32 << 10
)

// batchBuffers hold batched messages while they are written: a writer runs only while frames
// are queued, so an idle connection keeps no buffer.
var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// write drains the outbox to the socket and exits when it is empty, or performs the close the
// session asked for. It takes up to MaxBatch frames at a time. A run is bounded by the socket's
// write deadline, renewed every half WriteTimeout: every write gets at least half of it. It is
// the socket's deadline rather than a context's because coder/websocket arms a timer for each
// write with a deadline context, and keeps the last context (with its timer) for the
// connection's life.
func (c *wsConn) write() {
	defer c.writers.Done()
	// draining stays set after a panic, so no writer restarts on the closed socket.
	defer c.recover(context.Background())
	timeout := c.ws.opts.WriteTimeout
	run, renewed := c.setDeadline(0)
	defer c.clearDeadline(run)
	var held [MaxBatch]frame
	for {
		if time.Since(renewed) > timeout/2 {
			_, renewed = c.setDeadline(run)
		}
		frames, closing, code, reason := c.s.out.take(held[:0], MaxBatch)
		if len(frames) == 0 {
			if closing {
				if code == 0 {
					code = int(websocket.StatusNormalClosure)
				}
				_ = c.conn.Close(websocket.StatusCode(code), reason)
			}
			return
		}
		err := c.send(frames)
		if err == nil {
			c.s.hub.opts.Metrics.written(frames, c.s.hub.opts.Metrics.WebSocketDeliveries)
		}
		clear(held[:len(frames)]) // keep no frame alive past its write
		if err != nil {
			_ = c.conn.CloseNow()
			return
		}
	}
}

// send writes frames: as few messages as maxBatchBytes allows, each holding several frames
// separated by newlines, when the client asked for batches; else one message each, gathered
// into one socket write (corkWriter). The time of each socket write is marked for
// outbox.enqueueLive.
func (c *wsConn) send(frames []frame) error {
	defer c.s.out.writeSince.Store(0)
	switch {
	case len(frames) == 1 || (!c.s.batch.Load() && c.cork == nil):
		for _, f := range frames {
			c.s.out.writeSince.Store(time.Now().UnixNano())
			if err := c.conn.Write(context.Background(), websocket.MessageText, f.b); err != nil {
				return err
			}
		}
		return nil
	case !c.s.batch.Load():
		c.cork.hold()
		for _, f := range frames {
			if err := c.conn.Write(context.Background(), websocket.MessageText, f.b); err != nil {
				_ = c.cork.release()
				return err
			}
		}
		c.s.out.writeSince.Store(time.Now().UnixNano())
		return c.cork.release()
	}
	buf := batchBuffers.Get().(*[]byte)
	defer batchBuffers.Put(buf)
	for len(frames) > 0 {
		var msg []byte
		msg, frames = appendBatch((*buf)[:0], frames)
		c.s.out.writeSince.Store(time.Now().UnixNano())
		if err := c.conn.Write(context.Background(), websocket.MessageText, msg); err != nil {
			return err
		}
		*buf = msg[:0]
	}
	return nil
}

// appendBatch appends to msg the leading frames that fit one message (at least one), separated
// by newlines (a JSON frame holds none), and returns the message and the frames left.
func appendBatch(msg []byte, frames []frame) ([]byte, []frame) {
	for i, f := range frames {
		if i > 0 {
			if len(msg)+1+len(f.b) > maxBatchBytes {
				return msg, frames[i:]
			}
			msg = append(msg, '\n')
		}
		msg = append(msg, f.b...)
	}
	return msg, nil
}

// setDeadline sets the socket's write deadline WriteTimeout from now for a new run (run 0) or
// renews it for run, and returns the run and when.
func (c *wsConn) setDeadline(run uint64) (uint64, time.Time) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if run == 0 {
		c.runs++
		run = c.runs
	}
	now := time.Now()
	if run == c.runs {
		_ = c.raw.SetWriteDeadline(now.Add(c.ws.opts.WriteTimeout))
	}
	return run, now
}

// clearDeadline lifts the write deadline at the end of a run, unless a later run (started as
// soon as this one found the queue empty) owns it now: pings, pongs and the close handshake,
// written between runs, have their own timeouts.
func (c *wsConn) clearDeadline(run uint64) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if run == c.runs {
		_ = c.raw.SetWriteDeadline(time.Time{})
	}
}

// isHandshake reports whether r is a WebSocket opening handshake (RFC 6455 4.2.1) this server
// speaks: checked here so that anything else gets a problem document, not the plain text
// websocket.Accept would answer.
func isHandshake(r *http.Request) bool {
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0]))
	return err == nil && len(key) == 16 && r.ProtoAtLeast(1, 1) && r.Method == http.MethodGet &&
		headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket") &&
		r.Header.Get("Sec-WebSocket-Version") == "13"
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
