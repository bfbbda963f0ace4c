package realtime

import (
	"sync"
	"sync/atomic"
	"time"
)

// frame is one outgoing message: encoded once, its bytes shared by every receiver.
type frame struct {
	b   []byte
	seq int64 // the event's seq (an SSE stream's id), 0 for every other frame
}

// client is one WebSocket connection or SSE stream as the hub sees it: who it is, which rooms it
// is in, and its bounded outgoing queue. The transport's writer drains the queue; nothing the
// hub does ever waits on a peer.
//
// An idle client holds no queue memory: the queue slice grows on demand up to Options.QueueSize
// and is released when drained. An idle WebSocket has no writer goroutine either: the transport
// attaches a startWriter hook, and the first frame or close starts a writer that drains the
// queue and exits (see signal).
type client struct {
	hub  *Hub
	id   string
	sse  bool          // an SSE stream: one workspace, not in a user room, closed by a close frame
	wake chan struct{} // SSE only, capacity 1: the stream's writer has work (frames or a close)
	done chan struct{} // closed once the transport ended

	mu          sync.Mutex
	startWriter func() // WebSocket: runs a writer goroutine (see attachWriter); nil until attached
	writing     bool   // a writer started by startWriter runs; it alone clears this, in next
	userID      string
	expiresAt   time.Time
	generation  int64 // the token's generation (see Hub.Revoke)
	queue       []frame
	closing     bool
	flush       bool // write what is queued before closing
	code        int
	reason      string
	rooms       map[string]*room
	space       chan struct{} // made on demand: a replay waiting for the writer to make room
	timer       *time.Timer   // auth deadline, then token expiry
	ended       bool

	// writeSince is when the transport's current socket write began (Unix ns), 0 between
	// writes: a write that lasts means the peer is not reading (see enqueueLive).
	writeSince atomic.Int64
}

func newClient(h *Hub, id string, sse bool) *client {
	c := &client{hub: h, id: id, sse: sse, done: make(chan struct{})}
	if sse {
		c.wake = make(chan struct{}, 1)
	}
	return c
}

// attachWriter makes start the way a writer is run for this client (a WebSocket's), and runs one
// at once when frames or a close came before the transport was ready.
func (c *client) attachWriter(start func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startWriter = start
	if len(c.queue) > 0 || c.closing {
		c.signal()
	}
}

// signal tells the transport there is work (frames or a close); c.mu is held. With a writer
// attached, it starts one unless one runs: one writer at a time keeps the frames in order, and
// starting a goroutine never waits on the peer. Otherwise it wakes the SSE stream's writer (a
// client without either, in tests, is drained by calling next).
func (c *client) signal() {
	if c.startWriter == nil {
		select {
		case c.wake <- struct{}{}:
		default:
		}
		return
	}
	if !c.writing && !c.ended {
		c.writing = true
		c.startWriter()
	}
}

// user returns the authenticated user id, "" before auth.
func (c *client) user() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.userID
}

// enqueue adds a frame without ever blocking: a full queue means the peer does not keep up, and
// the client is closed with 4008 instead. It reports whether the frame was queued.
func (c *client) enqueue(f frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enqueueLocked(f)
}

func (c *client) enqueueLocked(f frame) bool {
	if c.closing {
		return false
	}
	if len(c.queue) >= c.hub.opts.QueueSize {
		c.closeLocked(ClosePolicy, "slow consumer: outgoing queue full", false)
		return false
	}
	c.queue = append(c.queue, f)
	c.signal()
	return true
}

// enqueueLive adds a live frame of a room. A full queue means one of two things. Either the
// server is behind: its writers have not had the CPU to drain the queues as fast as changes
// arrive (a burst of writes to a room with many members on a busy core); then the frame waits
// for room, and so does the delivery that holds the room (and the REST request or bus message
// behind it), so producers slow down to what the sockets take instead of readers being dropped.
// Or the peer stopped reading: its writer is stuck in a socket write (the kernel buffers are
// full); then, as after LiveWait, the client is closed with 4008 (it resumes with since).
func (c *client) enqueueLive(f frame) bool {
	var deadline time.Time
	for {
		c.mu.Lock()
		if c.closing || len(c.queue) < c.hub.opts.QueueSize {
			ok := c.enqueueLocked(f)
			c.mu.Unlock()
			return ok
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(c.hub.opts.LiveWait)
		}
		since := c.writeSince.Load()
		if (since != 0 && now.UnixNano()-since > int64(c.hub.opts.StuckWrite)) || !now.Before(deadline) {
			c.closeLocked(ClosePolicy, "slow consumer: outgoing queue full", false)
			c.mu.Unlock()
			return false
		}
		space := c.spaceLocked()
		c.mu.Unlock()
		// Wake for room, or to look at the writer again.
		t := time.NewTimer(min(deadline.Sub(now), c.hub.opts.StuckWrite/4))
		select {
		case <-space:
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	}
}

// spaceLocked returns the channel the writer signals when it takes a frame (c.mu is held).
func (c *client) spaceLocked() chan struct{} {
	if c.space == nil {
		c.space = make(chan struct{}, 1)
	}
	return c.space
}

// enqueueWait adds a frame on behalf of a replay, which may wait: it waits (at most the write
// timeout) while the queue is half full, leaving the other half to live frames.
func (c *client) enqueueWait(f frame) bool {
	deadline := time.Now().Add(c.hub.opts.WriteTimeout)
	for {
		c.mu.Lock()
		if c.closing {
			c.mu.Unlock()
			return false
		}
		if len(c.queue) < c.hub.opts.QueueSize/2+1 {
			ok := c.enqueueLocked(f)
			c.mu.Unlock()
			return ok
		}
		space := c.spaceLocked()
		c.mu.Unlock()
		wait := time.Until(deadline)
		if wait <= 0 {
			c.close(ClosePolicy, "slow consumer: replay not read")
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-space:
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	}
}

// next pops the next frame for the writer. When the client is closing it returns ok=false and
// the close code and reason (after the queue is written when the close asked for a flush). When
// there is nothing to do it returns ok=false, closing=false and an attached writer must exit: it
// is no longer counted as running, so the next frame starts another. A closing client's writer
// stays counted, so none starts after the close.
func (c *client) next() (f frame, ok, closing bool, code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) > 0 && (!c.closing || c.flush) {
		f = c.queue[0]
		c.queue[0] = frame{}
		c.queue = c.queue[1:]
		if len(c.queue) == 0 {
			c.queue = nil // release the backing array of a drained queue
		}
		if c.space != nil {
			select {
			case c.space <- struct{}{}:
			default:
			}
		}
		return f, true, false, 0, ""
	}
	if !c.closing {
		c.writing = false
	}
	return frame{}, false, c.closing, c.code, c.reason
}

// close asks the writer to close the connection with code, dropping what is still queued.
func (c *client) close(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason, false)
}

// closeAfter queues f, then closes once everything queued was written (code 0: no close frame
// on SSE, a normal closure on WebSocket).
func (c *client) closeAfter(f frame, code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enqueueLocked(f) {
		c.closeLocked(code, reason, true)
	}
}

func (c *client) closeLocked(code int, reason string, flush bool) {
	if c.closing {
		return
	}
	c.closing, c.flush, c.code, c.reason = true, flush, code, reason
	if !flush {
		c.queue = nil
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.signal()
}

// setTimer replaces the client's one timer (the auth deadline, later the token expiry).
func (c *client) setTimer(d time.Duration, code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.closing {
		return
	}
	c.timer = time.AfterFunc(d, func() { c.close(code, reason) })
}

// end marks the transport gone: waiting replays give up and the writer stops.
func (c *client) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	c.closing = true
	c.queue = nil
	if c.timer != nil {
		c.timer.Stop()
	}
	close(c.done)
}
