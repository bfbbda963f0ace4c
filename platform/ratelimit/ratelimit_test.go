package ratelimit

import (
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
)

func TestFailuresLockAfterMaxUntilWindowEnds(t *testing.T) {
	c := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := NewFailures(3, time.Minute, c)
	for i := range 3 {
		if w := f.Wait("k"); w != 0 {
			t.Fatalf("attempt %d: wait %v before max", i, w)
		}
		f.Fail("k")
		c.Advance(time.Second)
	}
	if w := f.Wait("k"); w != 57*time.Second {
		t.Fatalf("wait = %v, want 57s", w)
	}
	if w := f.Wait("other"); w != 0 {
		t.Fatalf("other key throttled: %v", w)
	}
	c.Advance(57 * time.Second)
	if w := f.Wait("k"); w != 0 {
		t.Fatalf("still throttled after window: %v", w)
	}
}

func TestResetClears(t *testing.T) {
	c := clock.NewManual(time.Now())
	f := NewFailures(1, time.Hour, c)
	f.Fail("k")
	if f.Wait("k") == 0 {
		t.Fatal("not throttled")
	}
	f.Reset("k")
	if f.Wait("k") != 0 {
		t.Fatal("throttled after reset")
	}
}
