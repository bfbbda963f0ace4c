package realtime

import (
	"cmp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workspaceops/workspaceops/platform/observe"
)

// frame is one outgoing message: encoded once, its bytes shared by every receiver.
type frame struct {
	b   []byte
	seq int64 // the event's seq (an SSE stream's id), 0 for every other frame
	at  int64 // a live event's audit time (Unix ns), for the delivery lag; 0 otherwise
}

// transport is how a session's frames reach its peer; the WebSocket and the SSE stream
// implement it. The outbox holds the frames and the close the session asked for; the
// transport's writer takes them with outbox.next and performs the close with its own means (a
// close frame on a WebSocket, a close message on a stream).
type transport interface {
	// wake tells the transport the outbox has work (frames or a close). It is called with the
	// outbox locked, never while a drain runs (one writer at a time keeps the frames in order),
	// and must not block on the peer.
	wake()
	// unidirectional reports a stream the client sends nothing on (SSE): it serves one
	// workspace, is in no user room, gets no ready frame, and ends when removed from it.
	unidirectional() bool
}

// outboxLimits bound an outbox (from Options).
type outboxLimits struct {
	size                             int
	liveWait, stuckWrite, replayWait time.Duration
	queueFull                        observe.Counter // nil: not counted
	closed                           func(code int)  // nil: not told
}

// fullLocked closes, counted, the connection of a peer that does not keep up with its queue
// (the caller holds the lock).
func (o *outbox) fullLocked(reason string) {
	if o.lim.queueFull != nil && !o.closing {
		o.lim.queueFull.Add(1)
	}
	o.closeLocked(ClosePolicy, reason, false)
}

// outbox is one connection's bounded outgoing queue. Nothing the hub does ever waits on a peer:
// a full queue closes the connection with 4008 (see enqueueLive for the one bounded wait).
//
// An idle outbox holds no memory for frames: the slice grows on demand up to its size and is
// released when drained. An idle WebSocket has no writer goroutine either: wake starts one that
// drains the outbox and exits (see next).
type outbox struct {
	lim  outboxLimits
	done chan struct{} // closed once the transport ended

	mu       sync.Mutex
	t        transport // nil until attached: frames wait
	draining bool      // a drain started by wake runs; next alone clears it
	queue    []frame
	closing  bool
	flush    bool // write what is queued before closing
	code     int
	reason   string
	space    chan struct{} // made on demand: a producer waiting for the writer to make room
	ended    bool

	// writeSince is when the transport's current socket write began (Unix ns), 0 between
	// writes: a write that lasts means the peer is not reading (see enqueueLive).
	writeSince atomic.Int64
}

func newOutbox(lim outboxLimits) *outbox {
	return &outbox{lim: lim, done: make(chan struct{})}
}

// attach makes t the outbox's transport, and wakes it at once when frames or a close came
// before it was ready.
func (o *outbox) attach(t transport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.t = t
	if len(o.queue) > 0 || o.closing {
		o.wakeLocked()
	}
}

// wakeLocked wakes the transport unless a drain runs or there is none yet.
func (o *outbox) wakeLocked() {
	if o.t != nil && !o.draining && !o.ended {
		o.draining = true
		o.t.wake()
	}
}

// enqueue adds a frame without ever blocking: a full queue means the peer does not keep up, and
// the connection is closed with 4008 instead. It reports whether the frame was queued.
func (o *outbox) enqueue(f frame) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.enqueueLocked(f)
}

func (o *outbox) enqueueLocked(f frame) bool {
	if o.closing {
		return false
	}
	if len(o.queue) >= o.lim.size {
		o.fullLocked("slow consumer: outgoing queue full")
		return false
	}
	o.queue = append(o.queue, f)
	o.wakeLocked()
	return true
}

// enqueueLive adds a live frame of a room. A full queue means one of two things. Either the
// server is behind: its writers have not had the CPU to drain the queues as fast as changes
// arrive (a burst of writes to a room with many members on a busy core); then the frame waits
// for room, and so does the delivery that holds the room (and the REST request or bus message
// behind it), so producers slow down to what the sockets take instead of readers being dropped.
// Or the peer stopped reading: its writer is stuck in a socket write (the kernel buffers are
// full); then, as after liveWait, the connection is closed with 4008 (it resumes with since).
// These waits are on the wall clock: they measure the writer's progress, not protocol time.
func (o *outbox) enqueueLive(f frame) bool {
	var deadline time.Time
	for {
		o.mu.Lock()
		if o.closing || len(o.queue) < o.lim.size {
			ok := o.enqueueLocked(f)
			o.mu.Unlock()
			return ok
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(o.lim.liveWait)
		}
		since := o.writeSince.Load()
		if (since != 0 && now.UnixNano()-since > int64(o.lim.stuckWrite)) || !now.Before(deadline) {
			o.fullLocked("slow consumer: outgoing queue full")
			o.mu.Unlock()
			return false
		}
		space := o.spaceLocked()
		o.mu.Unlock()
		// Wake for room, or to look at the writer again.
		o.waitSpace(space, min(deadline.Sub(now), o.lim.stuckWrite/4))
	}
}

// enqueueWait adds a frame on behalf of a replay, which may wait: it waits (at most replayWait)
// while the queue is half full, leaving the other half to live frames.
func (o *outbox) enqueueWait(f frame) bool {
	deadline := time.Now().Add(o.lim.replayWait)
	for {
		o.mu.Lock()
		if o.closing {
			o.mu.Unlock()
			return false
		}
		if len(o.queue) < o.lim.size/2+1 {
			ok := o.enqueueLocked(f)
			o.mu.Unlock()
			return ok
		}
		space := o.spaceLocked()
		o.mu.Unlock()
		wait := time.Until(deadline)
		if wait <= 0 {
			o.mu.Lock()
			o.fullLocked("slow consumer: replay not read")
			o.mu.Unlock()
			return false
		}
		o.waitSpace(space, wait)
	}
}

// spaceLocked returns the channel the writer signals when it takes a frame.
func (o *outbox) spaceLocked() chan struct{} {
	if o.space == nil {
		o.space = make(chan struct{}, 1)
	}
	return o.space
}

// waitSpace waits for the writer to take a frame, the transport to end, or d.
func (o *outbox) waitSpace(space chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-space:
	case <-o.done:
	case <-t.C:
	}
}

// take pops up to max queued frames for the writer, appended to dst, in one hold of the lock.
// With none to write it returns no frames, and closing with the close code and reason when a
// close was asked for (after the queue was written when the close asked for a flush); otherwise
// the drain must end: it is no longer counted as running, so the next frame wakes the transport
// again. A closing outbox's drain stays counted, so none starts after the close.
func (o *outbox) take(dst []frame, max int) (frames []frame, closing bool, code int, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) > 0 && (!o.closing || o.flush) {
		n := min(max, len(o.queue))
		dst = append(dst, o.queue[:n]...)
		clear(o.queue[:n])
		o.queue = o.queue[n:]
		if len(o.queue) == 0 {
			o.queue = nil // release the backing array of a drained queue
		}
		if o.space != nil {
			select {
			case o.space <- struct{}{}:
			default:
			}
		}
		return dst, false, 0, ""
	}
	if !o.closing {
		o.draining = false
	}
	return dst, o.closing, o.code, o.reason
}

// next pops the next frame for the writer: take of one.
func (o *outbox) next() (f frame, ok, closing bool, code int, reason string) {
	var one [1]frame
	frames, closing, code, reason := o.take(one[:0], 1)
	if len(frames) == 0 {
		return frame{}, false, closing, code, reason
	}
	return frames[0], true, false, 0, ""
}

// close asks the transport to close the connection with code, dropping what is still queued.
func (o *outbox) close(code int, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closeLocked(code, reason, false)
}

// closeAfter queues f, then closes once everything queued was written (code 0: no close
// message on SSE, a normal closure on WebSocket).
func (o *outbox) closeAfter(f frame, code int, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.enqueueLocked(f) {
		o.closeLocked(code, reason, true)
	}
}

func (o *outbox) closeLocked(code int, reason string, flush bool) {
	if o.closing {
		return
	}
	if o.lim.closed != nil {
		// Counted when decided: a peer that stopped reading may never get the close frame.
		o.lim.closed(cmp.Or(code, 1000)) // 0: a normal end
	}
	o.closing, o.flush, o.code, o.reason = true, flush, code, reason
	if !flush {
		o.queue = nil
	}
	o.wakeLocked()
}

// isClosing reports whether a close was asked for.
func (o *outbox) isClosing() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closing
}

// end marks the transport gone: waiting producers give up and the writer stops.
func (o *outbox) end() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ended {
		return
	}
	o.ended, o.closing, o.queue = true, true, nil
	close(o.done)
}
