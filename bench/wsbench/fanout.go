package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// subscriber is one connection of fanout or saturate and what it received.
type subscriber struct {
	joined int64 // the joined frame's seq
	room   int   // the workspace it joined (an index of the workload's workspaces)

	// Written by the reader goroutine only; read after it ended, or atomically.
	delivered atomic.Int64 // fanout: matched status changes; saturate: distinct events in order
	last      atomic.Int64 // highest seq received
	lastAt    atomic.Int64 // when the last event arrived (since epoch)
	counters  []int32      // fanout: status changes seen per item
	recs      []delivery   // fanout: every matched status change
	gaps      int64        // saturate: seqs skipped (lost)
	dups      int64        // saturate: seqs received again or out of order
	resyncs   int64
	ended     atomic.Bool // the server ended the connection (err and code are set first)
	code      int         // close code when the server closed the connection
	err       error       // the read error that ended it (nil when we closed it)
}

// delivery is the arrival of the k-th change of item j.
type delivery struct {
	j, k int32
	at   int64 // since epoch
}

// subscribers is the set of connections of one workload.
type subscribers struct {
	subs    []*subscriber
	conns   []conn
	failed  atomic.Int64
	first   atomic.Value
	readers sync.WaitGroup
	closing atomic.Bool
}

// openSubscribers opens n connections, connection i as user i%len(users) to workspace
// wids[roomOf(i, ...)] (rooms' layout), each with a reader goroutine running onEvent for every
// event frame.
func (b *bench) openSubscribers(ctx context.Context, sse bool, n int, users []*user, wids []string,
	onEvent func(s *subscriber, f frameInfo, at int64)) (*subscribers, time.Duration, error) {
	ss := &subscribers{subs: make([]*subscriber, n), conns: make([]conn, n)}
	start := time.Now()
	err := parallel(ctx, n, b.cfg.dialConcurrency, func(ctx context.Context, i int) error {
		room := roomOf(i, len(users), len(wids))
		c, joined, err := b.open(ctx, sse, i, users[i%len(users)], wids[room], -1)
		if err != nil {
			ss.failed.Add(1)
			ss.first.CompareAndSwap(nil, err.Error())
			if ss.failed.Load() > int64(n/10+10) {
				return fmt.Errorf("too many failed connects, first: %v", ss.first.Load())
			}
			return nil
		}
		s := &subscriber{joined: joined, room: room}
		s.last.Store(joined)
		ss.subs[i], ss.conns[i] = s, c
		ss.readers.Go(func() { ss.read(s, c, onEvent) })
		return nil
	})
	return ss, time.Since(start), err
}

func (ss *subscribers) read(s *subscriber, c conn, onEvent func(*subscriber, frameInfo, int64)) {
	for {
		b, err := c.next()
		if err != nil {
			if !ss.closing.Load() {
				s.err, s.code = err, closeCode(err)
				s.ended.Store(true)
			}
			return
		}
		at := since()
		f := parseFrame(b)
		switch f.typ {
		case "event":
			onEvent(s, f, at)
		case "resync":
			s.resyncs++
		case "close": // SSE: the stream ends with the code a WebSocket would get
			s.err, s.code = errStreamClosed, f.code
			s.ended.Store(true)
			c.close(false)
			return
		}
	}
}

// live is the subscribers that opened.
func (ss *subscribers) live() []*subscriber {
	out := make([]*subscriber, 0, len(ss.subs))
	for _, s := range ss.subs {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (ss *subscribers) closeAll() {
	ss.closing.Store(true)
	for _, c := range ss.conns {
		if c != nil {
			c.close(false)
		}
	}
	ss.readers.Wait()
}

// evictions counts the subscribers the server closed, by close code.
func (ss *subscribers) evictions() (int64, map[string]int) {
	codes := map[string]int{}
	var n int64
	for _, s := range ss.live() {
		if s.err != nil {
			n++
			k := fmt.Sprint(s.code)
			if s.code == 0 {
				k = "no close frame"
				if errors.Is(s.err, errStreamClosed) {
					k = "stream closed"
				}
			}
			codes[k]++
		}
	}
	return n, codes
}

func (ss *subscribers) delivered() int64 {
	var n int64
	for _, s := range ss.live() {
		n += s.delivered.Load()
	}
	return n
}

// fanout: N subscribers in one workspace, R status changes per second through REST, latency
// from just before each REST call to each delivery.
func (b *bench) fanout(ctx context.Context, sse bool) (*result, error) {
	n := b.cfg.fanoutSubs
	if sse {
		n = b.cfg.sseSubs
	}
	return b.fanoutOver(ctx, sse, n, 1, b.cfg.fanoutRate)
}

// fanoutWide: fanout with N subscribers spread over W workspaces, the changes spread over them
// too (each reaches the N/W subscribers of its workspace).
func (b *bench) fanoutWide(ctx context.Context) (*result, error) {
	return b.fanoutOver(ctx, false, b.cfg.wideSubs, b.cfg.wideWorkspaces, b.cfg.wideRate)
}

func (b *bench) fanoutOver(ctx context.Context, sse bool, n, nw int, rate float64) (*result, error) {
	d := b.cfg.fanoutDuration
	users, wids, err := b.rooms(ctx, n, nw)
	if err != nil {
		return nil, err
	}
	perItem := int(rate*d.Seconds()) + 16
	fl, err := newFlipper(ctx, b.setup, users[:nw], wids, max(b.cfg.fanoutItems, nw), perItem)
	if err != nil {
		return nil, err
	}
	expectedPerSub := int(rate*d.Seconds()) + 1
	onEvent := func(s *subscriber, f frameInfo, at int64) {
		if f.event != "work-item:status-changed" {
			return
		}
		j, ok := fl.idx[f.targetID]
		if !ok {
			return
		}
		if s.counters == nil {
			s.counters = make([]int32, len(fl.items))
			s.recs = make([]delivery, 0, expectedPerSub)
		}
		s.recs = append(s.recs, delivery{j: int32(j), k: s.counters[j], at: at})
		s.counters[j]++
		s.lastAt.Store(at)
		s.delivered.Add(1)
	}
	ss, openTime, err := b.openSubscribers(ctx, sse, n, users, wids, onEvent)
	if err != nil {
		ss.closeAll()
		return nil, err
	}
	opened := int64(len(ss.live()))
	b.logf("fanout: %d subscribers over %d workspaces in %s; %g changes/s for %s", opened, nw, openTime.Round(time.Millisecond), rate, d)
	sleepCtx(ctx, 1500*time.Millisecond) // the items' overview:updated goes by first

	cpu := startCPU(b.cfg.pids)
	self := startCPU([]int{os.Getpid()})
	start := since()
	fl.runRate(ctx, rate, d)
	expected := fl.expected(ss.live(), nw)
	complete := waitFor(ctx, b.cfg.drain, func() bool { return ss.delivered() >= expected })
	serverCPU, wall := cpu.stop()
	selfCPU, _ := self.stop()
	ss.closeAll()

	e2e, spread, unmatched := fanoutLatencies(ss.live(), fl)
	var lastAt int64
	for _, s := range ss.live() {
		lastAt = max(lastAt, s.lastAt.Load())
	}
	delivered := ss.delivered()
	lat, spr := summarize(e2e), summarize(spread)
	evicted, codes := ss.evictions()
	res := &result{Pass: complete && delivered == expected && evicted == 0}
	res.Params.add("subscribers", n)
	if nw > 1 {
		res.Params.add("workspaces", nw)
	}
	res.Params.add("changes_per_s", rate)
	res.Params.add("seconds", d.Seconds())
	res.Params.add("transport", transport(sse))
	m := &res.Metrics
	m.add("subscribers_open", opened)
	m.add("connect_failed", ss.failed.Load())
	m.add("changes_ok", fl.ok.Load())
	m.add("changes_failed", fl.failed.Load())
	m.add("changes_skipped", fl.skipped.Load())
	m.add("changes_per_s_achieved", perSecond(fl.ok.Load(), d))
	m.add("expected", expected)
	m.add("delivered", delivered)
	m.add("delivered_pct", percent(delivered, expected))
	lat.fields(m, "latency")
	m.add("latency_mean_ms", ms(lat.Mean))
	m.add("latency_samples", lat.N)
	m.add("unmatched", unmatched)
	spr.fields(m, "spread")
	m.add("deliveries_per_s", perSecond(delivered, time.Duration(lastAt-start)))
	rl := fl.restLatency()
	rl.fields(m, "rest_change")
	m.add("evicted", evicted)
	if evicted > 0 {
		m.add("evicted_by_code", codes)
	}
	if len(b.cfg.pids) > 0 {
		m.add("server_cpu_pct", round2(100*serverCPU.Seconds()/wall.Seconds()))
		m.add("server_cpu_per_delivery_us", usPer(serverCPU, delivered))
	}
	m.add("loadgen_cpu_pct", round2(100*selfCPU.Seconds()/wall.Seconds()))
	res.Notes = append(res.Notes, fl.notes()...)
	res.Notes = append(res.Notes, b.setup.describe().latency)
	if v := ss.first.Load(); v != nil {
		res.Notes = append(res.Notes, "first connect error: "+v.(string))
	}
	res.Headline = fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.0f ms (%s alone: p50 %.1f, p99 %.1f; fan-out spread p99 %.1f ms); delivered %.3f%%",
		ms(lat.P50), ms(lat.P99), ms(lat.Max), b.setup.describe().call, ms(rl.P50), ms(rl.P99), ms(spr.P99), percent(delivered, expected))
	if len(b.cfg.pids) > 0 {
		res.Headline += fmt.Sprintf("; %.1f µs server CPU/delivery", usPer(serverCPU, delivered))
	}
	if sk := fl.skipped.Load(); sk > 0 {
		res.Headline += fmt.Sprintf("; server behind: %d changes made, %d skipped", fl.ok.Load(), sk)
	}
	res.Target = "100% delivered; p99 ≤ Socket.io broadcast-only (36-67 ms at 2,000 × 20/s), aim half; CPU/delivery: Socket.io 15-17 µs"
	return res, nil
}

// saturate: N subscribers in one workspace; changes as fast as the server accepts them for D;
// deliveries per second and losses.
func (b *bench) saturate(ctx context.Context, sse bool) (*result, error) {
	n := b.cfg.saturateSubs
	if sse {
		n = b.cfg.sseSubs
	}
	d, writers := b.cfg.saturateDuration, b.cfg.saturateWriters
	users, wid, err := b.room(ctx, n)
	if err != nil {
		return nil, err
	}
	fl, err := newFlipper(ctx, b.setup, users[:1], []string{wid}, 2*writers, 0)
	if err != nil {
		return nil, err
	}
	onEvent := func(s *subscriber, f frameInfo, at int64) {
		last := s.last.Load()
		switch {
		case f.seq <= last:
			s.dups++
			return
		case f.seq > last+1:
			s.gaps += f.seq - last - 1
		}
		s.last.Store(f.seq)
		s.lastAt.Store(at)
		s.delivered.Add(1)
	}
	ss, openTime, err := b.openSubscribers(ctx, sse, n, users, []string{wid}, onEvent)
	if err != nil {
		ss.closeAll()
		return nil, err
	}
	live := ss.live()
	if len(live) == 0 {
		ss.closeAll()
		return nil, errors.New("no subscriber could connect")
	}
	b.logf("saturate: %d subscribers in %s; %d writers for %s", len(live), openTime.Round(time.Millisecond), writers, d)
	sleepCtx(ctx, 1500*time.Millisecond)

	cpu := startCPU(b.cfg.pids)
	self := startCPU([]int{os.Getpid()})
	before := ss.delivered()
	start := since()
	fl.runMax(ctx, writers, d)
	inWindow := ss.delivered() - before
	sleepCtx(ctx, 1500*time.Millisecond) // a coalesced overview:updated may follow the last change
	head, err := b.setup.head(ctx, users[0].token, wid)
	if err != nil {
		ss.closeAll()
		return nil, fmt.Errorf("read the log head: %w", err)
	}
	caughtUp := func() bool {
		for _, s := range live {
			if !s.ended.Load() && s.last.Load() < head {
				return false
			}
		}
		return true
	}
	complete := waitFor(ctx, b.cfg.drain, caughtUp)
	serverCPU, wall := cpu.stop()
	selfCPU, _ := self.stop()
	ss.closeAll()

	var expected, received, gaps, dups, lastAt int64
	for _, s := range live {
		expected += head - s.joined
		received += s.delivered.Load()
		gaps += s.gaps
		dups += s.dups
		lastAt = max(lastAt, s.lastAt.Load())
	}
	evicted, codes := ss.evictions()
	delivered := received - before
	lost := expected - received
	res := &result{Pass: complete && lost == 0 && evicted == 0}
	res.Params.add("subscribers", n)
	res.Params.add("seconds", d.Seconds())
	res.Params.add("writers", writers)
	res.Params.add("transport", transport(sse))
	m := &res.Metrics
	m.add("subscribers_open", len(live))
	m.add("connect_failed", ss.failed.Load())
	m.add("changes_ok", fl.ok.Load())
	m.add("changes_failed", fl.failed.Load())
	m.add("changes_per_s", perSecond(fl.ok.Load(), d))
	m.add("events_in_log", head-live[0].joined)
	m.add("deliveries_in_window_per_s", perSecond(inWindow, d))
	m.add("deliveries_per_s", perSecond(delivered, time.Duration(lastAt-start)))
	m.add("expected", expected)
	m.add("received", received)
	m.add("lost", lost)
	m.add("seq_gaps", gaps)
	m.add("out_of_order_or_dup", dups)
	m.add("evicted", evicted)
	if evicted > 0 {
		m.add("evicted_by_code", codes)
	}
	rl := fl.restLatency()
	rl.fields(m, "rest_change")
	if len(b.cfg.pids) > 0 {
		m.add("server_cpu_pct", round2(100*serverCPU.Seconds()/wall.Seconds()))
		m.add("server_cpu_per_delivery_us", usPer(serverCPU, delivered))
	}
	m.add("loadgen_cpu_pct", round2(100*selfCPU.Seconds()/wall.Seconds()))
	res.Notes = append(res.Notes, fl.notes()...)
	res.Notes = append(res.Notes, b.setup.describe().deliver)
	res.Headline = fmt.Sprintf("%.0f deliveries/s (%.0f changes/s); lost %d, evicted %d", perSecond(delivered, time.Duration(lastAt-start)),
		perSecond(fl.ok.Load(), d), lost, evicted)
	res.Target = "≥ 1.7× Socket.io (93-110 k deliveries/s), i.e. ≥ 185 k/s; 0 lost"
	return res, nil
}

// fanoutLatencies turns the subscribers' arrivals into end-to-end latencies (arrival - the
// change's send time) and spreads (arrival - the change's first arrival anywhere). unmatched
// counts arrivals whose send time is unknown.
func fanoutLatencies(subs []*subscriber, fl *flipper) (e2e, spread []time.Duration, unmatched int64) {
	first := make([][]int64, len(fl.items))
	for j := range first {
		first[j] = make([]int64, len(fl.sent[j]))
	}
	for _, s := range subs {
		for _, d := range s.recs {
			if int(d.k) < len(first[d.j]) && (first[d.j][d.k] == 0 || d.at < first[d.j][d.k]) {
				first[d.j][d.k] = d.at
			}
		}
	}
	for _, s := range subs {
		for _, d := range s.recs {
			t0 := fl.sentAt(int(d.j), int(d.k))
			if t0 == 0 {
				unmatched++
				continue
			}
			e2e = append(e2e, time.Duration(d.at-t0))
			spread = append(spread, time.Duration(d.at-first[d.j][d.k]))
		}
	}
	return e2e, spread, unmatched
}
