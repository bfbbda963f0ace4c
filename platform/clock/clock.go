// Package clock gives use cases the current time through a port, so tests can control it.
package clock

import (
	"slices"
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the real clock, in UTC.
type System struct{}

// Now returns the current UTC time at millisecond precision, the precision MongoDB stores, so
// an entity reads back exactly as it was created.
func (System) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Manual is a clock for tests that only moves when told to.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*manualTimer]struct{}
}

// NewManual returns a manual clock set to t.
func NewManual(t time.Time) *Manual { return &Manual{now: t.UTC()} }

// Now returns the clock's current time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d and runs the calls that came due, earliest first, on
// the caller's goroutine, after the clock moved.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	var due []*manualTimer
	for t := range m.timers {
		if !t.at.After(m.now) {
			due = append(due, t)
			delete(m.timers, t)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(due, func(a, b *manualTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
}

// Timer is a call scheduled by a Timers clock.
type Timer interface {
	// Stop cancels the call, reporting whether it had not run yet.
	Stop() bool
}

// Timers is a clock that also runs functions later: the realtime layer's token expiry, auth
// deadline and gap-fill waits, so its tests move time instead of sleeping.
type Timers interface {
	Clock
	AfterFunc(d time.Duration, f func()) Timer
}

// AfterFunc runs f in its own goroutine after d (time.AfterFunc).
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// manualTimer is a call waiting for a Manual clock to reach at.
type manualTimer struct {
	m  *Manual
	at time.Time
	f  func()
}

// Stop cancels the call.
func (t *manualTimer) Stop() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	_, waiting := t.m.timers[t]
	delete(t.m.timers, t)
	return waiting
}

// AfterFunc runs f when Advance moves the clock to d from now or past it; for d <= 0, at once
// in its own goroutine, as time.AfterFunc does (a caller may hold a lock f takes).
func (m *Manual) AfterFunc(d time.Duration, f func()) Timer {
	t := &manualTimer{m: m, f: f}
	if d <= 0 {
		go f()
		return t
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t.at = m.now.Add(d)
	if m.timers == nil {
		m.timers = map[*manualTimer]struct{}{}
	}
	m.timers[t] = struct{}{}
	return t
}
