package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// idle opens N connections spread over the idle workspaces, authenticated and joined, holds
// them, and measures the server's RSS growth per connection and the connect rate.
func (b *bench) idle(ctx context.Context, sse bool) (*result, error) {
	n := b.cfg.idleConns
	if sse {
		n = b.cfg.sseSubs
	}
	nw := min(b.cfg.idleWorkspaces, n)
	users, wids, err := b.rooms(ctx, n, nw)
	if err != nil {
		return nil, err
	}
	nu := len(users)
	b.logf("idle: %d users, %d workspaces ready; opening %d connections", nu, nw, n)
	sleepCtx(ctx, time.Second)
	rssBefore := b.rssKB()

	conns := make([]conn, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var readers sync.WaitGroup
	var frames atomic.Int64
	var dropped atomic.Int64
	var closing atomic.Bool
	cpu := startCPU(b.cfg.pids)
	start := time.Now()
	_ = parallel(ctx, n, b.cfg.dialConcurrency, func(ctx context.Context, i int) error {
		c, _, err := b.open(ctx, sse, i, users[i%nu], wids[roomOf(i, nu, nw)], -1)
		if err != nil {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
			if failed.Load() > int64(n/10+10) {
				return fmt.Errorf("too many failed connects, first: %v", firstErr.Load())
			}
			return nil
		}
		conns[i] = c
		// A reader per connection answers the server's pings (and counts stray frames).
		readers.Go(func() {
			for {
				if _, err := c.next(); err != nil {
					if !closing.Load() {
						dropped.Add(1)
					}
					return
				}
				frames.Add(1)
			}
		})
		return nil
	})
	connectTime := time.Since(start)
	connectCPU, _ := cpu.stop()
	opened := int64(n) - failed.Load()
	b.logf("idle: %d connected in %s (%d failed); settling %s", opened, connectTime.Round(time.Millisecond), failed.Load(), b.cfg.settle)
	sleepCtx(ctx, b.cfg.settle)
	rssAfter := b.rssKB()
	sleepCtx(ctx, b.cfg.settle)
	rssHeld := b.rssKB()
	selfRSS, _ := procStatusKB(os.Getpid(), "VmRSS")

	closing.Store(true)
	for _, c := range conns {
		if c != nil {
			c.close(false)
		}
	}
	readers.Wait()

	res := &result{Pass: failed.Load() == 0 && dropped.Load() == 0}
	res.Params.add("connections", n)
	res.Params.add("workspaces", nw)
	res.Params.add("users", nu)
	res.Params.add("transport", transport(sse))
	m := &res.Metrics
	m.add("connected", opened)
	m.add("failed", failed.Load())
	m.add("dropped_while_held", dropped.Load())
	m.add("connect_seconds", round2(connectTime.Seconds()))
	m.add("connects_per_s", perSecond(opened, connectTime))
	m.add("server_cpu_per_connect_us", usPer(connectCPU, opened))
	if len(b.cfg.pids) > 0 {
		m.add("server_rss_before_kb", rssBefore)
		m.add("server_rss_after_kb", rssAfter)
		m.add("server_rss_held_kb", rssHeld)
		m.add("kb_per_conn", kbPerConn(rssBefore, rssAfter, int(opened)))
		m.add("kb_per_conn_held", kbPerConn(rssBefore, rssHeld, int(opened)))
		res.Headline = fmt.Sprintf("%.1f KB/conn (%.1f after another %s); %.0f connects/s", kbPerConn(rssBefore, rssAfter, int(opened)),
			kbPerConn(rssBefore, rssHeld, int(opened)), b.cfg.settle, perSecond(opened, connectTime))
	} else {
		res.Headline = fmt.Sprintf("%.0f connects/s (no -pid: no RSS)", perSecond(opened, connectTime))
	}
	m.add("frames_received", frames.Load())
	m.add("loadgen_rss_kb", selfRSS)
	if v := firstErr.Load(); v != nil {
		res.Notes = append(res.Notes, "first connect error: "+v.(string))
	}
	res.Target = "≤ 18.5 KB/conn, aim 9 (Socket.io 18.0-18.6, minimal nhooyr 38.7-39.6 at 5,000); connects/s ≥ 3× Socket.io (330-920)"
	return res, nil
}

// rssKB is the summed VmRSS of the server pids (0 without pids).
func (b *bench) rssKB() int64 {
	var t int64
	for _, p := range b.cfg.pids {
		if kb, err := procStatusKB(p, "VmRSS"); err == nil {
			t += kb
		}
	}
	return t
}

func transport(sse bool) string {
	if sse {
		return "sse"
	}
	return "websocket"
}
