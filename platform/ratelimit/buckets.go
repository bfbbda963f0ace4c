package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
)

// Rate is Limit requests per Window; the zero Rate is no limit.
type Rate struct {
	Limit  int
	Window time.Duration
}

// Off reports whether the rate limits nothing.
func (r Rate) Off() bool { return r.Limit <= 0 || r.Window <= 0 }

func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Limit, r.Window)
}

// ParseRate reads "600/min", "10/s", "36000/h" (also sec, second, m, minute, hour), and "off" or
// "0" for no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	limit, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || limit <= 0 {
		return Rate{}, fmt.Errorf("want a rate such as 600/min, 10/s or 36000/h, or off")
	}
	var w time.Duration
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		w = time.Second
	case "m", "min", "minute":
		w = time.Minute
	case "h", "hour":
		w = time.Hour
	default:
		return Rate{}, fmt.Errorf("rate unit %q: want s, min or h", unit)
	}
	return Rate{Limit: limit, Window: w}, nil
}

// Buckets is a token bucket per key: each holds up to Limit tokens (the burst) and refills at
// Limit per Window; a request takes one. Per process and in memory, like Failures: with several
// instances each limits on its own.
type Buckets struct {
	rate  Rate
	clock clock.Clock

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// Decision is the answer for one request: whether it may go, and what the RateLimit headers say.
type Decision struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is how long until the bucket is full again.
	Reset time.Duration
	// RetryAfter is how long until one request may go, when refused.
	RetryAfter time.Duration
}

// NewBuckets limits each key to rate, which must not be Off.
func NewBuckets(rate Rate, c clock.Clock) *Buckets {
	return &Buckets{rate: rate, clock: c, m: map[string]*bucket{}}
}

// Take takes one token from key's bucket if it has one.
func (b *Buckets) Take(key string) Decision {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	limit := float64(b.rate.Limit)
	perToken := b.rate.Window / time.Duration(b.rate.Limit)
	bk, ok := b.m[key]
	if !ok {
		if len(b.m) >= maxKeys {
			b.evict(now)
		}
		bk = &bucket{tokens: limit, at: now}
		b.m[key] = bk
	} else if elapsed := now.Sub(bk.at); elapsed > 0 {
		bk.tokens = math.Min(limit, bk.tokens+float64(elapsed)/float64(perToken))
		bk.at = now
	}
	d := Decision{Limit: b.rate.Limit}
	if bk.tokens >= 1 {
		bk.tokens--
		d.Allowed = true
	} else {
		d.RetryAfter = time.Duration((1 - bk.tokens) * float64(perToken))
	}
	d.Remaining = int(bk.tokens)
	d.Reset = time.Duration((limit - bk.tokens) * float64(perToken))
	return d
}

// evict drops the full buckets (they are as good as absent), or everything if none is.
func (b *Buckets) evict(now time.Time) {
	perToken := b.rate.Window / time.Duration(b.rate.Limit)
	for k, bk := range b.m {
		if bk.tokens+float64(now.Sub(bk.at))/float64(perToken) >= float64(b.rate.Limit) {
			delete(b.m, k)
		}
	}
	if len(b.m) >= maxKeys {
		clear(b.m)
	}
}
