// Package ratelimit limits per key in memory: repeated failures (Failures: an email, a client
// address) and requests (Buckets: an API key, a user).
//
// With Failures, each key may fail Max times within Window; then it must wait until the window that began with
// its first failure ends. State is per process: with several instances, each throttles on its
// own, which still bounds an attacker to Max × instances attempts per window.
package ratelimit

import (
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
)

// maxKeys bounds memory: past it, expired entries are swept, and if none are, the oldest
// window is dropped, so a flood of distinct keys cannot exhaust memory.
const maxKeys = 100_000

// Failures is a fixed-window failure counter.
type Failures struct {
	max    int
	window time.Duration
	clock  clock.Clock

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	count int
	start time.Time
}

// NewFailures allows max failures per key within window.
func NewFailures(max int, window time.Duration, c clock.Clock) *Failures {
	return &Failures{max: max, window: window, clock: c, entries: map[string]*entry{}}
}

// Wait returns 0 when key may try now, otherwise how long until it may.
func (f *Failures) Wait(key string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[key]
	if !ok {
		return 0
	}
	now := f.clock.Now()
	if end := e.start.Add(f.window); !now.Before(end) {
		delete(f.entries, key)
		return 0
	} else if e.count >= f.max {
		return end.Sub(now)
	}
	return 0
}

// Fail records a failure for key.
func (f *Failures) Fail(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	e, ok := f.entries[key]
	if !ok || !now.Before(e.start.Add(f.window)) {
		if !ok && len(f.entries) >= maxKeys {
			f.evict(now)
		}
		f.entries[key] = &entry{count: 1, start: now}
		return
	}
	e.count++
}

// Reset forgets key's failures (after a success).
func (f *Failures) Reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entries, key)
}

func (f *Failures) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, e := range f.entries {
		if !now.Before(e.start.Add(f.window)) {
			delete(f.entries, k)
		} else if oldestKey == "" || e.start.Before(oldest) {
			oldestKey, oldest = k, e.start
		}
	}
	if len(f.entries) >= maxKeys {
		delete(f.entries, oldestKey)
	}
}
