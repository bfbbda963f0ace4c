// Package racetest helps tests make a race happen every time rather than by luck.
package racetest

import "sync"

// Barrier holds its first n callers of Hold until all n have arrived; later callers pass.
// Placed between a check and its act (a repository's Count, say), it makes n racing callers
// all pass the check before any of them acts.
type Barrier struct {
	mu      sync.Mutex
	n       int
	arrived sync.WaitGroup
}

// NewBarrier returns a barrier for n callers.
func NewBarrier(n int) *Barrier {
	b := &Barrier{n: n}
	b.arrived.Add(n)
	return b
}

// Hold waits, for each of the first n callers, until all n have called it.
func (b *Barrier) Hold() {
	b.mu.Lock()
	first := b.n > 0
	b.n--
	b.mu.Unlock()
	if first {
		b.arrived.Done()
		b.arrived.Wait()
	}
}
