package main

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// seqSet records which seqs above a base a client received.
type seqSet struct {
	base  int64 // seqs > base are tracked
	words []uint64
}

// add records seq and reports whether it was new.
func (s *seqSet) add(seq int64) bool {
	if seq <= s.base {
		return false
	}
	i := seq - s.base - 1
	w := int(i / 64)
	for w >= len(s.words) {
		s.words = append(s.words, 0)
	}
	bit := uint64(1) << (i % 64)
	if s.words[w]&bit != 0 {
		return false
	}
	s.words[w] |= bit
	return true
}

// missing counts the seqs in (base, head] not received.
func (s *seqSet) missing(head int64) int64 {
	n := head - s.base
	if n <= 0 {
		return 0
	}
	var have int64
	for w, word := range s.words {
		if int64(w*64) >= n {
			break
		}
		if rest := n - int64(w*64); rest < 64 {
			word &= (uint64(1) << rest) - 1
		}
		have += int64(bits.OnesCount64(word))
	}
	return n - have
}

// churner is one client of the churn workload.
type churner struct {
	seqs         seqSet
	maxSeen      atomic.Int64
	started      atomic.Bool // joined once: seqs.base is set
	dups         int64
	resyncs      int64
	reconnects   int64
	openErrors   int64
	serverClosed int64
	firstErr     string
}

// churn: N clients in one workspace that disconnect and reconnect at random, resuming with
// since, while changes flow; every client must end up with every seq after its first join.
func (b *bench) churn(ctx context.Context, sse bool) (*result, error) {
	n := b.cfg.churnClients
	if sse {
		n = b.cfg.sseSubs
	}
	d, rate := b.cfg.churnDuration, b.cfg.churnRate
	// Half the per-user allowance: a reconnect can overlap the old connection's teardown.
	users, wid, err := b.room(ctx, 2*n)
	if err != nil {
		return nil, err
	}
	fl, err := newFlipper(ctx, b.rest, users[:1], []string{wid}, b.cfg.fanoutItems, 0)
	if err != nil {
		return nil, err
	}
	clients := make([]*churner, n)
	var stopChurn atomic.Bool
	stopped := make(chan struct{})
	var connected sync.WaitGroup
	connected.Add(n)
	var wg sync.WaitGroup
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range n {
		cl := &churner{}
		clients[i] = cl
		wg.Go(func() { b.churnClient(cctx, sse, i, users[i%len(users)], wid, cl, &stopChurn, stopped, &connected) })
	}
	allIn := make(chan struct{})
	go func() { connected.Wait(); close(allIn) }()
	select {
	case <-allIn:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	b.logf("churn: %d clients joined; %g changes/s for %s while they churn", n, rate, d)
	fl.runRate(ctx, rate, d)
	stopChurn.Store(true)
	close(stopped)
	sleepCtx(ctx, 1500*time.Millisecond) // a coalesced overview:updated may follow
	head, err := b.rest.head(ctx, users[0].token, wid)
	if err != nil {
		return nil, fmt.Errorf("read the log head: %w", err)
	}
	complete := waitFor(ctx, b.cfg.drain, func() bool {
		for _, cl := range clients {
			if cl.maxSeen.Load() < head {
				return false
			}
		}
		return true
	})
	cancel()
	wg.Wait()

	var lost, dups, resyncs, reconnects, openErrors, serverClosed int64
	var firstErr string
	for _, cl := range clients {
		lost += cl.seqs.missing(head)
		dups += cl.dups
		resyncs += cl.resyncs
		reconnects += cl.reconnects
		openErrors += cl.openErrors
		serverClosed += cl.serverClosed
		if firstErr == "" {
			firstErr = cl.firstErr
		}
	}
	res := &result{Pass: complete && lost == 0 && resyncs == 0}
	res.Params.add("clients", n)
	res.Params.add("seconds", d.Seconds())
	res.Params.add("changes_per_s", rate)
	res.Params.add("mean_uptime_s", b.cfg.churnUptime.Seconds())
	res.Params.add("transport", transport(sse))
	m := &res.Metrics
	m.add("changes_ok", fl.ok.Load())
	m.add("changes_failed", fl.failed.Load())
	m.add("changes_skipped", fl.skipped.Load())
	m.add("reconnects", reconnects)
	m.add("reconnects_per_s", perSecond(reconnects, d))
	m.add("reconnect_errors", openErrors)
	m.add("closed_by_server", serverClosed)
	m.add("lost", lost)
	m.add("duplicates", dups)
	m.add("resyncs", resyncs)
	m.add("caught_up", complete)
	res.Notes = append(res.Notes, fl.notes()...)
	if firstErr != "" {
		res.Notes = append(res.Notes, "first connection error: "+firstErr)
	}
	res.Notes = append(res.Notes, "a client disconnects after a random time (exponential, mean -churn-uptime), half with a close handshake and half by dropping the socket, then rejoins with since = the last seq it saw; lost = seqs after its first join it never received")
	res.Headline = fmt.Sprintf("%d reconnects, %d changes; lost %d, duplicates %d, resyncs %d", reconnects, fl.ok.Load(), lost, dups, resyncs)
	res.Target = "0 lost"
	return res, nil
}

// churnClient connects, stays a random time, disconnects and resumes, until stopChurn; then
// it stays connected until ctx ends.
func (b *bench) churnClient(ctx context.Context, sse bool, i int, u *user, wid string, cl *churner,
	stopChurn *atomic.Bool, stopped <-chan struct{}, connected *sync.WaitGroup) {
	rng := rand.New(rand.NewPCG(uint64(i), uint64(since())))
	first := true
	fail := func(err error) {
		cl.openErrors++
		if cl.firstErr == "" {
			cl.firstErr = err.Error()
		}
	}
	for ctx.Err() == nil {
		sinceSeq := int64(-1)
		if cl.started.Load() {
			sinceSeq = cl.maxSeen.Load()
		}
		c, joined, err := b.open(ctx, sse, i, u, wid, sinceSeq)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fail(err)
			if first && cl.openErrors > 20 {
				break // never got in: give up rather than hold the run
			}
			var je *joinError
			wait := 100 * time.Millisecond
			if errors.As(err, &je) {
				wait = time.Second
			}
			sleepCtx(ctx, wait+time.Duration(rng.Int64N(int64(wait))))
			continue
		}
		if !cl.started.Load() {
			cl.seqs.base = joined
			cl.maxSeen.Store(joined)
			cl.started.Store(true)
		} else {
			cl.reconnects++
		}
		if first {
			first = false
			connected.Done()
		}
		readerDone := make(chan struct{})
		var serverClosed atomic.Bool
		go func() {
			defer close(readerDone)
			for {
				fb, err := c.next()
				if err != nil {
					serverClosed.Store(true)
					return
				}
				f := parseFrame(fb)
				switch f.typ {
				case "event":
					if !cl.seqs.add(f.seq) {
						if f.seq > cl.seqs.base {
							cl.dups++
						}
					}
					if f.seq > cl.maxSeen.Load() {
						cl.maxSeen.Store(f.seq)
					}
				case "resync":
					cl.resyncs++
				case "close":
					serverClosed.Store(true)
					c.close(false)
					return
				}
			}
		}()
		up := time.Duration(rng.ExpFloat64() * float64(b.cfg.churnUptime))
		up = min(up, 4*b.cfg.churnUptime)
		var timer <-chan time.Time
		if !stopChurn.Load() {
			timer = time.After(up)
		}
		select {
		case <-timer:
			c.close(rng.IntN(2) == 0)
			<-readerDone
			// Wait out the other half of the race: the reader may have seen the close first.
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(100*time.Millisecond))))
			continue
		case <-readerDone:
			if serverClosed.Load() && ctx.Err() == nil {
				cl.serverClosed++
			}
			continue
		case <-stopped:
			// Stay connected until the end.
		case <-ctx.Done():
		}
		select {
		case <-ctx.Done():
			c.close(false)
			<-readerDone
			return
		case <-readerDone:
			if ctx.Err() == nil {
				cl.serverClosed++
				continue // reconnect and resume to catch up
			}
			return
		}
	}
	if first {
		connected.Done()
	}
}
