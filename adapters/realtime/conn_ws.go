package realtime

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/logging"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// ServeWS serves GET /ws: protocol v1 over a WebSocket. A connection authenticates with an
// Authorization: Bearer header on the handshake or an auth frame within AuthTimeout; a token in
// the query string is refused (it would leak into logs).
//
// An idle connection costs one goroutine with a small stack, blocked reading the socket
// (serveConn): the handler returns once the socket is accepted, which frees its goroutine, the
// request and net/http's buffers. A writer goroutine runs only while frames are queued
// (client.signal), pings come from the hub-wide wheel (pinger), and the buffers coder/websocket
// keeps for the connection are small (tunedWriter.Hijack). Live, that is a 4 KB stack and about
// 5 KB of heap; make bench (idle, 5,000 connections) measures 10-14 KB of RSS per connection
// with the GC's headroom (the spread is the RSS before connecting), kernel socket buffers aside,
// where a handler, a writer and a ticker per connection cost 33-58 KB.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("token") || q.Has("access_token") {
		problem.Write(w, r, errTokenInQuery)
		return
	}
	if !isHandshake(r) {
		problem.Write(w, r, errNotHandshake)
		return
	}
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		problem.Write(w, r, errShuttingDown)
		return
	}
	c := newClient(h, ids.New(), false)
	ctx := connContext(r)
	if hdr := r.Header.Get("Authorization"); hdr != "" {
		scheme, tok, _ := strings.Cut(hdr, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			problem.Write(w, r, errBadAuthorization)
			return
		}
		p, err := h.auth.Verify(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			h.refuse(w, r, err)
			return
		}
		if !h.addUser(c, p.UserID) {
			problem.Write(w, r, errTooManyConnections)
			return
		}
		c.userID = p.UserID
		tw := h.tuned(w)
		conn, err := websocket.Accept(tw, r, &websocket.AcceptOptions{OriginPatterns: h.origins})
		if err != nil {
			h.unregister(c) // the upgrade failed: give the slot back
			return
		}
		go h.serveConn(ctx, &wsConn{hub: h, conn: conn, raw: tw.conn, c: c}, func() { h.authenticated(c, nil, p, false) })
		return
	}
	tw := h.tuned(w)
	conn, err := websocket.Accept(tw, r, &websocket.AcceptOptions{OriginPatterns: h.origins})
	if err != nil {
		return // Accept answered (403 for a foreign origin, 400/426 for a bad handshake)
	}
	go h.serveConn(ctx, &wsConn{hub: h, conn: conn, raw: tw.conn, c: c}, func() {
		c.setTimer(h.opts.AuthTimeout, CloseUnauthorized, "authentication timeout")
	})
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

// wsConn is an accepted WebSocket: the client's transport.
type wsConn struct {
	hub     *Hub
	conn    *websocket.Conn
	raw     net.Conn // the socket under conn: its write deadline bounds a writer's run
	c       *client
	writers sync.WaitGroup // the writers running (one writes; a finishing one may overlap the next)
	pinging atomic.Bool    // a ping is out, waiting for its pong

	deadlineMu sync.Mutex
	runs       uint64 // writer runs started; the last one owns the socket's write deadline

	// The ping wheel's links, under hub.pings.mu.
	prev, next *wsConn
	slot       int
}

// serveConn runs an accepted connection until it ends, in its own goroutine: the one goroutine
// an idle connection has, reading. It starts fresh rather than from the HTTP handler, and hands
// every frame to another goroutine (readLoop), so that its stack holds only the read path.
func (h *Hub) serveConn(ctx context.Context, w *wsConn, start func()) {
	conn, c := w.conn, w.c
	conn.SetReadLimit(h.opts.ReadLimit)
	defer h.recoverConn(ctx, c, conn)
	if !h.register(c) {
		h.unregister(c)
		_ = conn.Close(CloseGoingAway, "server going away")
		return
	}
	defer h.unregister(c)
	c.attachWriter(w.startWriter)
	h.pings.add(w)
	defer h.pings.remove(w)
	w.inTurn(ctx, start)
	w.readLoop(ctx)
	c.end()
	w.writers.Wait() // a writer performing a close handshake finishes it
	_ = conn.CloseNow()
}

// recoverConn, deferred, ends a connection whose goroutine panicked: the HTTP handler's
// recovery middleware does not cover the goroutines of a connection, and a bug must end the
// connection, not the server.
func (h *Hub) recoverConn(ctx context.Context, c *client, conn *websocket.Conn) {
	if v := recover(); v != nil {
		h.log.ErrorContext(ctx, "realtime: panic serving a connection", slog.String("connection_id", c.id),
			slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		_ = conn.CloseNow()
	}
}

// inTurn runs f on a goroutine of its own and waits for it. A goroutine's stack keeps the size
// it ever grew to (until a GC shrinks it, a halving at a time), and handling a frame goes deep
// (JSON decoding, a join's reads of the log and of membership): on the reader, every idle
// connection would keep 8-16 KB of stack for good. The helper's stack goes back to the runtime
// when it exits, and waiting for it keeps the frames handled in order.
func (w *wsConn) inTurn(ctx context.Context, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.hub.recoverConn(ctx, w.c, w.conn)
		f()
	}()
	<-done
}

// readLoop reads client frames until the connection fails or closes, handling each in turn.
func (w *wsConn) readLoop(ctx context.Context) {
	h, c := w.hub, w.c
	limiter := newBucket(h.opts.FrameRate, h.opts.FrameBurst)
	for {
		typ, b, err := w.conn.Read(context.Background())
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
		w.inTurn(ctx, func() { h.handleFrame(ctx, c, b) })
	}
}

// handleFrame decodes and answers one text frame.
func (h *Hub) handleFrame(ctx context.Context, c *client, b []byte) {
	in, err := Decode(b)
	if err != nil {
		var pe *ProtocolError
		errors.As(err, &pe)
		c.enqueue(frame{b: encodeError(pe.Ref, CodeBadRequest, pe.Message)})
		return
	}
	h.handle(ctx, c, in)
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
		if e := h.join(ctx, c, in.Ref, in.WorkspaceID, in.Since, in.HasSince); e != nil {
			c.enqueue(frame{b: encodeProblem(in.Ref, e)})
		}
	case TypeLeave:
		h.leave(c, in.WorkspaceID)
		c.enqueue(frame{b: encodeWorkspaceFrame(TypeLeft, in.Ref, in.WorkspaceID, "")})
	}
}

// startWriter runs a writer for the client's queue (client.signal calls it, under c.mu).
func (w *wsConn) startWriter() {
	w.writers.Add(1)
	go w.write()
}

// write drains the client's queue to the socket and exits when it is empty, or performs the
// close the hub asked for. A run is bounded by the socket's write deadline, renewed every half
// WriteTimeout: every write gets at least half of it. It is the socket's deadline rather than
// a context's because coder/websocket arms a timer for each write with a deadline context, and
// keeps the last context (with its timer) for the connection's life.
func (w *wsConn) write() {
	defer w.writers.Done()
	// writing stays set after a panic, so no writer restarts on the closed socket.
	defer w.hub.recoverConn(context.Background(), w.c, w.conn)
	timeout := w.hub.opts.WriteTimeout
	run, renewed := w.setDeadline(0)
	defer w.clearDeadline(run)
	for {
		if time.Since(renewed) > timeout/2 {
			_, renewed = w.setDeadline(run)
		}
		f, ok, closing, code, reason := w.c.next()
		if !ok {
			if closing {
				if code == 0 {
					code = int(websocket.StatusNormalClosure)
				}
				_ = w.conn.Close(websocket.StatusCode(code), reason)
			}
			return
		}
		w.c.writeSince.Store(time.Now().UnixNano())
		err := w.conn.Write(context.Background(), websocket.MessageText, f.b)
		w.c.writeSince.Store(0)
		if err != nil {
			_ = w.conn.CloseNow()
			return
		}
	}
}

// setDeadline sets the socket's write deadline WriteTimeout from now for a new run (run 0) or
// renews it for run, and returns the run and when.
func (w *wsConn) setDeadline(run uint64) (uint64, time.Time) {
	w.deadlineMu.Lock()
	defer w.deadlineMu.Unlock()
	if run == 0 {
		w.runs++
		run = w.runs
	}
	now := time.Now()
	if run == w.runs {
		_ = w.raw.SetWriteDeadline(now.Add(w.hub.opts.WriteTimeout))
	}
	return run, now
}

// clearDeadline lifts the write deadline at the end of a run, unless a later run (started as
// soon as this one found the queue empty) owns it now: pings, pongs and the close handshake,
// written between runs, have their own timeouts.
func (w *wsConn) clearDeadline(run uint64) {
	w.deadlineMu.Lock()
	defer w.deadlineMu.Unlock()
	if run == w.runs {
		_ = w.raw.SetWriteDeadline(time.Time{})
	}
}

// ping sends a ping unless one is out, from a goroutine that lives until the pong (a round
// trip); a peer that does not answer within PingInterval is dropped.
func (w *wsConn) ping() {
	if w.pinging.Swap(true) {
		return // the previous ping is still out; its timeout drops a dead peer
	}
	go func() {
		defer w.pinging.Store(false)
		defer w.hub.recoverConn(context.Background(), w.c, w.conn)
		ctx, cancel := context.WithTimeout(context.Background(), w.hub.opts.PingInterval)
		defer cancel()
		if err := w.conn.Ping(ctx); err != nil {
			_ = w.conn.CloseNow() // a dead peer: no handshake to wait for
		}
	}()
}

// pingSlots is the number of slots of the ping wheel: each tick pings one slot's connections,
// so the pings of many connections are spread over the interval instead of bunched.
const pingSlots = 32

// pinger pings every WebSocket of a hub once per PingInterval from one goroutine, instead of a
// ticker and a goroutine per connection: a wheel of pingSlots slots, each a list of connections,
// ticking every PingInterval/pingSlots. The goroutine runs only while connections are in it.
// Its zero value is ready to use.
type pinger struct {
	mu      sync.Mutex
	slots   [pingSlots]*wsConn // the first connection of each slot's list
	cur     int                // the slot the next tick pings
	n       int                // connections in the wheel
	running bool
}

// add puts a connection in the slot pinged last, so its first ping comes about a PingInterval
// after it connected (between (pingSlots-1)/pingSlots of it and all of it).
func (p *pinger) add(w *wsConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := (p.cur + pingSlots - 1) % pingSlots
	w.slot, w.prev, w.next = s, nil, p.slots[s]
	if w.next != nil {
		w.next.prev = w
	}
	p.slots[s] = w
	p.n++
	if !p.running {
		p.running = true
		go p.run(w.hub.opts.PingInterval / pingSlots)
	}
}

// remove takes a connection out of the wheel.
func (p *pinger) remove(w *wsConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		p.slots[w.slot] = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
	p.n--
}

// run ticks until the wheel is empty. The due connections are collected under the lock and
// pinged after it, so connecting and disconnecting never wait on the pings being sent.
func (p *pinger) run(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	var due []*wsConn
	for range t.C {
		p.mu.Lock()
		if p.n == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		for w := p.slots[p.cur]; w != nil; w = w.next {
			due = append(due, w)
		}
		p.cur = (p.cur + 1) % pingSlots
		p.mu.Unlock()
		for _, w := range due {
			w.ping()
		}
		clear(due) // keep no closed connection alive until the next tick
		due = due[:0]
	}
}

// tunedWriter hands coder/websocket the connection it hijacks with the kernel send buffer set
// to Options.SendBuffer: it bounds the memory a connection holds in the kernel, and a peer that
// stops reading fills it, then the queue, and is closed with 4008 after kilobytes, not megabytes.
type tunedWriter struct {
	http.ResponseWriter
	sendBuffer int
	conn       net.Conn // the hijacked socket, once hijacked
}

// WriteHeaderNow passes gin's header flush through (coder/websocket calls it before hijacking).
func (w *tunedWriter) WriteHeaderNow() {
	if g, ok := w.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		g.WriteHeaderNow()
	}
}

// The buffers coder/websocket reads and writes a connection through, held for its life. Client
// frames are few and small (auth, join, ping; a pong is a few bytes), so the read buffer is small:
// a larger frame takes another read. The write buffer holds a header and an event frame (350-450
// bytes), so a frame still goes out in one write; a bigger one (a rare replay of a long change
// list) takes two.
const (
	wsReadBuffer  = 128
	wsWriteBuffer = 512
)

// Hijack also swaps net/http's 4 KB read and write buffers for small ones (wsReadBuffer,
// wsWriteBuffer): an idle connection would hold 8 KB of them. The read buffer is kept when it
// holds bytes the client sent after the handshake.
func (w *tunedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return conn, brw, err
	}
	setSendBuffer(conn, w.sendBuffer)
	w.conn = conn
	r, wr := brw.Reader, brw.Writer
	if r.Buffered() == 0 {
		r = bufio.NewReaderSize(conn, wsReadBuffer)
	}
	if wr.Buffered() == 0 {
		wr = bufio.NewWriterSize(conn, wsWriteBuffer)
	}
	return conn, bufio.NewReadWriter(r, wr), nil
}

func (h *Hub) tuned(w http.ResponseWriter) *tunedWriter {
	return &tunedWriter{ResponseWriter: w, sendBuffer: h.opts.SendBuffer}
}

func setSendBuffer(conn net.Conn, size int) {
	if tc, ok := conn.(interface{ SetWriteBuffer(int) error }); ok && size > 0 {
		_ = tc.SetWriteBuffer(size)
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

// refuse answers a refused handshake through the one error table, logging what is not a
// client's fault.
func (h *Hub) refuse(w http.ResponseWriter, r *http.Request, err error) {
	e, logIt := problem.Of(err)
	if logIt {
		h.log.WarnContext(r.Context(), "realtime: refused a handshake", slog.String("code", e.Code), slog.Any("error", err))
	}
	problem.Write(w, r, e)
}
