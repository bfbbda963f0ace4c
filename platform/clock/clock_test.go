package clock

import (
	"testing"
	"time"
)

func TestManualRunsDueCallsInOrderWhenAdvanced(t *testing.T) {
	m := NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var got []string
	m.AfterFunc(2*time.Second, func() { got = append(got, "b") })
	m.AfterFunc(time.Second, func() { got = append(got, "a") })
	stopped := m.AfterFunc(1500*time.Millisecond, func() { got = append(got, "stopped") })
	m.AfterFunc(time.Hour, func() { got = append(got, "later") })
	if !stopped.Stop() {
		t.Fatal("Stop of a waiting call reported it had run")
	}
	m.Advance(999 * time.Millisecond)
	if len(got) != 0 {
		t.Fatalf("ran %v before they were due", got)
	}
	m.Advance(time.Second + time.Millisecond)
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("ran %v, want [a b]", got)
	}
	now := make(chan struct{})
	m.AfterFunc(0, func() { close(now) })
	<-now // a call due at once runs without an Advance
}

func TestSystemAfterFuncRuns(t *testing.T) {
	done := make(chan struct{})
	System{}.AfterFunc(time.Millisecond, func() { close(done) })
	<-done
}
