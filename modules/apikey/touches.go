package apikey

import (
	"sync"
	"time"
)

// maxTouches bounds the keys whose last write is remembered.
const maxTouches = 10_000

// touches remembers when this instance last wrote each key's last use.
type touches struct {
	max int

	mu sync.Mutex
	m  map[string]time.Time
}

func newTouches(max int) *touches { return &touches{max: max, m: map[string]time.Time{}} }

// claim reports whether the key's use should be written now, and if so records it.
func (t *touches) claim(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at, ok := t.m[id]; ok && now.Sub(at) < TouchEvery && !now.Before(at) {
		return false
	}
	if len(t.m) >= t.max {
		for k, at := range t.m {
			if now.Sub(at) >= TouchEvery {
				delete(t.m, k)
			}
		}
		if len(t.m) >= t.max {
			clear(t.m)
		}
	}
	t.m[id] = now
	return true
}
