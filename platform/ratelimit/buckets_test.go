package ratelimit

import (
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"600/min": {600, time.Minute}, "10/s": {10, time.Second}, "36000/h": {36000, time.Hour},
		" 5 / minute ": {5, time.Minute}, "off": {}, "OFF": {}, "0": {},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "600", "x/min", "-1/min", "10/day", "10/"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted", in)
		}
	}
}

// A bucket lets a burst of Limit through, then one request per Window/Limit; keys are apart.
func TestBuckets(t *testing.T) {
	c := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := NewBuckets(Rate{Limit: 5, Window: time.Minute}, c) // one token per 12 s
	for i := range 5 {
		d := b.Take("k")
		if !d.Allowed || d.Limit != 5 || d.Remaining != 4-i {
			t.Fatalf("request %d: %+v", i+1, d)
		}
	}
	d := b.Take("k")
	if d.Allowed || d.Remaining != 0 || d.RetryAfter != 12*time.Second || d.Reset != time.Minute {
		t.Fatalf("sixth request: %+v", d)
	}
	if d := b.Take("other"); !d.Allowed || d.Remaining != 4 {
		t.Fatalf("another key: %+v", d)
	}
	c.Advance(6 * time.Second)
	if d := b.Take("k"); d.Allowed || d.RetryAfter != 6*time.Second {
		t.Fatalf("half a token later: %+v", d)
	}
	c.Advance(6 * time.Second)
	if d := b.Take("k"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("a token later: %+v", d)
	}
	c.Advance(time.Hour)
	if d := b.Take("k"); !d.Allowed || d.Remaining != 4 || d.Reset != 12*time.Second {
		t.Fatalf("long after, the bucket is full (and never more): %+v", d)
	}
}

// A flood of distinct keys cannot grow the map past maxKeys.
func TestBucketsAreBounded(t *testing.T) {
	c := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := NewBuckets(Rate{Limit: 1, Window: time.Hour}, c)
	for i := range maxKeys + 10 {
		b.Take(string(rune(i)))
	}
	if n := len(b.m); n > maxKeys {
		t.Fatalf("%d buckets kept, bound %d", n, maxKeys)
	}
}
