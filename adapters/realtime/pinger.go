package realtime

import (
	"context"
	"sync"
	"time"
)

// ping sends a ping unless one is out, from a goroutine that lives until the pong (a round
// trip); a peer that does not answer within PingInterval is dropped.
func (c *wsConn) ping() {
	if c.pinging.Swap(true) {
		return // the previous ping is still out; its timeout drops a dead peer
	}
	go func() {
		defer c.pinging.Store(false)
		defer c.recover(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), c.ws.opts.PingInterval)
		defer cancel()
		if err := c.conn.Ping(ctx); err != nil {
			_ = c.conn.CloseNow() // a dead peer: no handshake to wait for
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
		go p.run(w.ws.opts.PingInterval / pingSlots)
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
