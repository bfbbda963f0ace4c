package realtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	auditlogmem "github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// Micro-benchmarks of the hub's hot paths, without sockets: `make bench-micro` runs them;
// compare two runs with benchstat (README, Benchmarks). bench/wsbench measures the whole server.

// benchHub is a hub over the test fakes with n clients joined to one workspace, put straight
// into the room (no socket, no writer: the benchmark drains the queues itself).
func benchHub(b *testing.B, n int) (*Hub, string, []*session) {
	b.Helper()
	return benchHubWith(b, n, Metrics{})
}

// benchHubWith is benchHub with the hub's metrics m.
func benchHubWith(b *testing.B, n int, m Metrics) (*Hub, string, []*session) {
	b.Helper()
	h, err := New(Deps{
		Auth:    &fakeAuth{tokens: map[string]identity.Principal{}, clock: clock.System{}},
		Authz:   &fakeAuthz{members: map[string]bool{}},
		Replay:  auditlogmem.NewStore(),
		Bus:     NewLocalBus(),
		Options: Options{MaxConnsPerUser: n + 1, Metrics: m},
	})
	if err != nil {
		b.Fatal(err)
	}
	wid := ids.New()
	r, err := h.acquireRoom(context.Background(), wid)
	if err != nil {
		b.Fatal(err)
	}
	clients := make([]*session, n)
	for i := range clients {
		c := newTestSession(h, ids.New())
		if !h.register(c) || !c.claim(identity.Principal{UserID: ids.New()}) {
			b.Fatal("register")
		}
		r.mu.Lock()
		r.subs[c] = &sub{s: c}
		r.mu.Unlock()
		c.rooms = map[string]*room{wid: r}
		clients[i] = c
	}
	h.releaseJoin(r) // the room stays: it has subscribers
	return h, wid, clients
}

func benchEntry(wid string, seq int64) auditlog.Entry {
	return auditlog.Entry{ID: ids.New(), WorkspaceID: wid, Seq: seq, Action: "WORK_ITEM_STATUS_CHANGED",
		Event: events.WorkItemStatusChanged, TargetType: "work-item", TargetID: "65f0c0ffee0000000000abcd",
		ActorID: "65f0c0ffee0000000000beef", At: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC),
		Data: map[string]any{"from": "DRAFT", "to": "ACTIVE"}}
}

// BenchmarkHubBroadcast is one audit entry delivered to N joined clients: sequencing, one
// encode, an enqueue per client, and each client's writer popping the frame (without the
// socket write). ns/delivery is the per-recipient cost.
func BenchmarkHubBroadcast(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			h, wid, clients := benchHub(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			seq := int64(0)
			for b.Loop() {
				seq++
				h.deliver(benchEntry(wid, seq))
				for _, c := range clients {
					if _, ok, _, _, _ := c.next(); !ok {
						b.Fatal("a client got nothing")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*int64(n)), "ns/delivery")
		})
	}
}

// BenchmarkClientEnqueueNext is one frame through one client's queue (the per-delivery part of
// the broadcast).
func BenchmarkClientEnqueueNext(b *testing.B) {
	_, _, clients := benchHub(b, 1)
	c := clients[0]
	f := frame{b: []byte(`{"type":"event"}`), seq: 1}
	b.ReportAllocs()
	for b.Loop() {
		c.enqueue(f)
		c.next()
	}
}

// BenchmarkEncodeEvent is the one encode per entry.
func BenchmarkEncodeEvent(b *testing.B) {
	e := benchEntry(ids.New(), 42)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := EncodeEvent(e)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.SetBytes(int64(size))
}

// BenchmarkEncodeSmallFrames is the frames answered per request (ready, joined, pong).
func BenchmarkEncodeSmallFrames(b *testing.B) {
	ref := []byte(`"r1"`)
	wid := ids.New()
	exp := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		_ = encodeReady(ref, wid, wid, exp, false)
		_ = encodeJoined(ref, wid, 1234)
		_ = encodeSimple(TypePong, ref)
	}
}

// BenchmarkDecode is one client frame decoded and validated.
func BenchmarkDecode(b *testing.B) {
	frames := map[string]string{
		"join":  `{"type":"join","workspaceId":"` + ids.New() + `","since":1234,"ref":"j1"}`,
		"auth":  `{"type":"auth","token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2NWYwIiwiaXNzIjoid29ya3NwYWNlb3BzIn0.c2lnbmF0dXJl"}`,
		"ping":  `{"type":"ping","ref":7}`,
		"error": `{"type":"join","workspaceId":"nope"}`,
	}
	for _, name := range []string{"join", "auth", "ping", "error"} {
		in := []byte(frames[name])
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				_, _ = Decode(in)
			}
		})
	}
}

// BenchmarkSequencerInOrder is the sequencer's bookkeeping for an entry that arrives in order.
func BenchmarkSequencerInOrder(b *testing.B) {
	s := newSequencer(0)
	e := benchEntry(ids.New(), 0)
	b.ReportAllocs()
	for b.Loop() {
		e.Seq = s.next
		if len(s.offer(e)) != 1 {
			b.Fatal("not delivered")
		}
	}
}

// BenchmarkHubFanoutMetrics is BenchmarkHubBroadcast with the writer's side of counting (each
// client's frames taken as a transport's writer takes them, then counted as written), with
// the metrics off (nothing counted) and on (Prometheus counters and the lag histogram, as
// cmd/workspaceops binds them): the metrics' cost per delivery is the difference of the two
// ns/delivery (make bench-metrics compares them).
func BenchmarkHubFanoutMetrics(b *testing.B) {
	const n = 1000
	on := Metrics{
		WebSocketDeliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "deliveries_total"}),
		DeliveryLag:         prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lag_seconds", Buckets: prometheus.DefBuckets}),
		QueueFull:           prometheus.NewCounter(prometheus.CounterOpts{Name: "queue_full_total"}),
	}
	for _, c := range []struct {
		name string
		m    Metrics
	}{{"metrics=off", Metrics{}}, {"metrics=on", on}} {
		b.Run(c.name, func(b *testing.B) {
			h, wid, clients := benchHubWith(b, n, c.m)
			m := &h.opts.Metrics
			var held [MaxBatch]frame
			b.ReportAllocs()
			b.ResetTimer()
			seq := int64(0)
			for b.Loop() {
				seq++
				h.deliver(benchEntry(wid, seq))
				for _, s := range clients {
					frames, _, _, _ := s.out.take(held[:0], MaxBatch)
					if len(frames) == 0 {
						b.Fatal("a client got nothing")
					}
					m.written(frames, m.WebSocketDeliveries)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/delivery")
		})
	}
}
