package identity

import (
	"sync"
	"time"
)

// How long a user's token generation is trusted without reading the store, and how many users'
// are kept. The TTL is how late another instance learns that a user signed out everywhere.
const (
	generationTTL        = 5 * time.Second
	maxCachedGenerations = 50_000
)

// generations caches each user's token generation for a short while, so that verifying a
// token costs no store read while the user is active.
type generations struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[string]cachedGeneration
}

type cachedGeneration struct {
	gen int64
	at  time.Time
}

func newGenerations(ttl time.Duration, max int) *generations {
	return &generations{ttl: ttl, max: max, m: map[string]cachedGeneration{}}
}

func (g *generations) get(userID string, now time.Time) (int64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.m[userID]
	if !ok || now.Sub(c.at) >= g.ttl || now.Before(c.at) {
		return 0, false
	}
	return c.gen, true
}

// put records a generation read now. Generations only rise, so a read that raced a revocation
// and finished after it cannot put the older one back. When the cache is full it drops the
// expired entries, or everything if none has expired.
func (g *generations) put(userID string, gen int64, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.m[userID]
	if ok && c.gen > gen && now.Sub(c.at) < g.ttl {
		return
	}
	if !ok && len(g.m) >= g.max {
		for id, c := range g.m {
			if now.Sub(c.at) >= g.ttl {
				delete(g.m, id)
			}
		}
		if len(g.m) >= g.max {
			clear(g.m)
		}
	}
	g.m[userID] = cachedGeneration{gen: gen, at: now}
}
