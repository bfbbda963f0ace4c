package realtime

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// eventually polls cond until it holds, failing after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// onlyClient returns the hub's one client.
func onlyClient(t *testing.T, h *Hub) *session {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sessions) != 1 {
		t.Fatalf("%d clients, want 1", len(h.sessions))
	}
	for c := range h.sessions {
		return c
	}
	return nil
}

// TestWriterStartsOnDemandInOrder: frames enqueued from many bursts, while writers start and
// exit, come out complete and in order, and never from two writers at once.
func TestWriterStartsOnDemandInOrder(t *testing.T) {
	f := newFixture(t, Options{QueueSize: 1 << 16})
	c := newTestSession(f.h, ids.New())
	const n = 20000
	out := make(chan int, n)
	var running, overlaps, starts atomic.Int32
	c.attachWriter(func() {
		starts.Add(1)
		go func() {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			for {
				f, ok, _, _, _ := c.next()
				if !ok {
					return
				}
				i, _ := strconv.Atoi(string(f.b))
				out <- i
				if i%7 == 0 {
					runtime.Gosched() // let the producer catch up or the queue drain
				}
			}
		}()
	})
	for i := range n {
		if !c.enqueue(frame{b: []byte(strconv.Itoa(i))}) {
			t.Fatalf("frame %d refused", i)
		}
		if i%500 == 0 {
			time.Sleep(time.Millisecond) // idle gaps: the writer exits and a new one starts
		}
	}
	for want := range n {
		select {
		case got := <-out:
			if got != want {
				t.Fatalf("frame %d came as %d", want, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d never came", want)
		}
	}
	if overlaps.Load() != 0 {
		t.Fatalf("%d times two writers ran at once", overlaps.Load())
	}
	if starts.Load() < 2 {
		t.Fatalf("%d writer starts; the idle gaps should have ended some", starts.Load())
	}
	eventually(t, time.Second, "the last writer exits once the queue is drained", func() bool {
		c.out.mu.Lock()
		defer c.out.mu.Unlock()
		return !c.out.draining
	})
}

// TestFramesBeforeTheWriterAreWritten: what is queued before the transport attaches its writer
// (a Bearer connection is in its user room before the upgrade) goes out once it does.
func TestFramesBeforeTheWriterAreWritten(t *testing.T) {
	f := newFixture(t, Options{})
	c := newTestSession(f.h, ids.New())
	c.enqueue(frame{b: []byte("early")})
	got := make(chan string, 1)
	c.attachWriter(func() {
		go func() {
			f, ok, _, _, _ := c.next()
			if ok {
				got <- string(f.b)
			}
			c.next()
		}()
	})
	select {
	case s := <-got:
		if s != "early" {
			t.Fatalf("got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the early frame was not written")
	}
}

// TestIdleWebSocketHasNoWriter: over a real socket, events arrive in order in bursts, and
// between bursts no writer runs.
func TestIdleWebSocketHasNoWriter(t *testing.T) {
	f := newFixture(t, Options{})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	ws := f.login(u)
	ws.join(w, -1)
	sc := onlyClient(t, f.h)
	idle := func() bool {
		sc.out.mu.Lock()
		defer sc.out.mu.Unlock()
		return !sc.out.draining
	}
	for range 3 {
		eventually(t, time.Second, "the writer exits when the queue is empty", idle)
		var want []int64
		for range 50 {
			want = append(want, f.publish(w, events.WorkItemUpdated, nil).Seq)
		}
		got := ws.events(len(want))
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	eventually(t, time.Second, "the writer exits when the queue is empty", idle)
}

// TestPingWheelDropsPeerThatStopsAnswering: one hub-wide schedule pings every socket; a peer
// that stops answering (it no longer reads, so its pongs never come) is dropped within a couple
// of intervals, one that answers stays, and the wheel's goroutine stops with the last socket.
// The short write timeout checks that a writer's deadline is lifted once it is done, or the
// pings after it would fail.
func TestPingWheelDropsPeerThatStopsAnswering(t *testing.T) {
	const interval = 100 * time.Millisecond
	f := newFixture(t, Options{PingInterval: interval, WriteTimeout: interval / 4})
	live, dead := f.login(ids.New()), f.login(ids.New())
	frames := make(chan map[string]any, 8)
	go func() {
		for { // coder/websocket answers pings while a Read is in progress
			m, err := live.readErr(time.Minute)
			if err != nil {
				close(frames)
				return
			}
			frames <- m
		}
	}()
	eventually(t, 3*time.Second, "the silent peer is dropped", func() bool { return f.h.Stats().Connections == 1 })
	if _, err := dead.readErr(time.Second); err == nil {
		t.Fatal("the silent peer's socket is still open")
	}
	time.Sleep(5 * interval) // pinged a few more times: it answers, so it stays
	live.send(map[string]any{"type": "ping", "ref": "p"})
	select {
	case m, ok := <-frames:
		if !ok || m["type"] != "pong" {
			t.Fatalf("the answering peer got %v (open: %v)", m, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the answering peer got no pong")
	}
	_ = live.conn.CloseNow()
	eventually(t, 3*time.Second, "the wheel stops when empty", func() bool {
		f.ws.pings.mu.Lock()
		defer f.ws.pings.mu.Unlock()
		return !f.ws.pings.running && f.ws.pings.n == 0
	})
}

// TestPingWheelSlots: connections added and removed in any order leave every slot's list
// consistent.
func TestPingWheelSlots(t *testing.T) {
	p := pinger{running: true} // no ticking: the lists alone are under test
	sock := &WebSocket{opts: Options{}.withDefaults()}
	var ws []*wsConn
	for i := range 3 * pingSlots {
		p.mu.Lock()
		p.cur = i % pingSlots
		p.mu.Unlock()
		w := &wsConn{ws: sock}
		p.add(w)
		ws = append(ws, w)
	}
	for i := 0; i < len(ws); i += 2 {
		p.remove(ws[i])
	}
	count := 0
	for s, head := range p.slots {
		var prev *wsConn
		for w := head; w != nil; w = w.next {
			if w.slot != s || w.prev != prev {
				t.Fatalf("slot %d: broken links", s)
			}
			prev = w
			count++
		}
	}
	if count != len(ws)/2 || p.n != count {
		t.Fatalf("%d in the wheel (n=%d), want %d", count, p.n, len(ws)/2)
	}
	for i := 1; i < len(ws); i += 2 {
		p.remove(ws[i])
	}
	if p.n != 0 || p.slots != [pingSlots]*wsConn{} {
		t.Fatal("the wheel is not empty")
	}
}

type panickyAuth struct{}

func (panickyAuth) Verify(context.Context, string) (identity.Principal, error) { panic("a bug") }

func (panickyAuth) Recheck(context.Context, identity.Principal) error { panic("a bug") }

// TestPanicEndsTheConnectionNotTheServer: a connection's goroutines are not under the HTTP
// handler's recovery, so they recover themselves: the connection ends, the hub goes on.
func TestPanicEndsTheConnectionNotTheServer(t *testing.T) {
	f := newFixture(t, Options{})
	f.h.auth = panickyAuth{} // before any connection
	ws := f.dial(nil)
	ws.send(map[string]any{"type": "auth", "token": "x"})
	if _, err := ws.readErr(5 * time.Second); err == nil {
		t.Fatal("the connection outlived the panic")
	}
	eventually(t, 3*time.Second, "the connection is gone from the hub", func() bool { return f.h.Stats().Connections == 0 })
	ws2 := f.dial(nil)
	ws2.send(map[string]any{"type": "ping", "ref": 1})
	if m := ws2.read(); m["type"] != "pong" {
		t.Fatalf("after the panic, ping answered %v", m)
	}
}

// BenchmarkBroadcastToWriters is BenchmarkHubBroadcast with a writer goroutine per client
// taking the frames (the socket write left out): "on-demand" as WebSockets run it now (the
// frame starts a writer, which drains the queue and exits), "resident" as before (one goroutine
// per client for its life, woken through a channel). ns/delivery includes the hand-over.
func BenchmarkBroadcastToWriters(b *testing.B) {
	for _, mode := range []string{"on-demand", "resident"} {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/subs=%d", mode, n), func(b *testing.B) {
				h, wid, clients := benchHub(b, n)
				var taken sync.WaitGroup
				drain := func(c *session) {
					for {
						if _, ok, _, _, _ := c.next(); !ok {
							return
						}
						taken.Done()
					}
				}
				for _, c := range clients {
					if mode == "on-demand" {
						c.attachWriter(func() { go drain(c) })
						continue
					}
					st := &sseStream{signal: make(chan struct{}, 1)}
					c.out.attach(st)
					go func() {
						for {
							select {
							case <-st.signal:
								drain(c)
							case <-c.out.done:
								return
							}
						}
					}()
				}
				b.Cleanup(func() {
					for _, c := range clients {
						h.unregister(c)
					}
				})
				b.ReportAllocs()
				b.ResetTimer()
				seq := int64(0)
				for b.Loop() {
					seq++
					taken.Add(n)
					h.deliver(benchEntry(wid, seq))
					taken.Wait()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*int64(n)), "ns/delivery")
			})
		}
	}
}

// TestWriteTimeoutDropsPeerThatStopsReading: a peer that takes nothing more (its and our kernel
// buffers full) is dropped after WriteTimeout, with room left in its queue, and without a close
// frame (there is no writing to it).
func TestWriteTimeoutDropsPeerThatStopsReading(t *testing.T) {
	f := newFixture(t, Options{WriteTimeout: 300 * time.Millisecond, QueueSize: 100000, SendBuffer: 4096})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	var d net.Dialer
	small := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err == nil {
			_ = conn.(*net.TCPConn).SetReadBuffer(4096) // a peer that absorbs little
		}
		return conn, err
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, f.wsURL, &websocket.DialOptions{HTTPClient: small,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + f.auth.issue(u, time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	ws := &wsc{t: t, conn: conn}
	if m := ws.read(); m["type"] != "ready" {
		t.Fatalf("got %v", m)
	}
	ws.join(w, -1)
	start := time.Now()
	for range 3000 { // about 1 MB: far more than the buffers hold, far less than the queue
		f.publish(w, events.WorkItemUpdated, map[string]any{"fields": []string{"title", "description", "status", "assignee"}})
	}
	eventually(t, 5*time.Second, "the peer is dropped", func() bool { return f.h.Stats().Connections == 0 })
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("dropped after %s, before the write timeout", el)
	}
	for {
		_, _, err := conn.Read(ctx)
		if err != nil {
			if st := websocket.CloseStatus(err); st != -1 {
				t.Fatalf("closed with %d, want the socket dropped", st)
			}
			break
		}
	}
}
