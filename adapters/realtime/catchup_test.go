package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// lossyBus is a network bus as the hub sees it: it can be down, and it says when entries may
// have been lost.
type lossyBus struct {
	*LocalBus
	mu   sync.Mutex
	down bool
	lost func()
}

func (b *lossyBus) Subscribe(deliver func(auditlog.Entry), lost func()) func() {
	b.mu.Lock()
	b.lost = lost
	b.mu.Unlock()
	return b.LocalBus.Subscribe(deliver, lost)
}

func (b *lossyBus) Ready(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return errors.New("bus down")
	}
	return nil
}

func (b *lossyBus) setDown(down bool) {
	b.mu.Lock()
	b.down = down
	lost := b.lost
	b.mu.Unlock()
	if !down {
		lost() // a reconnect: what was published meanwhile never arrived
	}
}

func newLossyFixture(t *testing.T, o Options) (*fixture, *lossyBus) {
	local := NewLocalBus()
	bus := &lossyBus{LocalBus: local}
	return newFixtureOn(t, o, bus, local), bus
}

// What other instances appended while the bus was down reaches the room, in order, once the
// bus says it may have lost entries; nothing is delivered twice.
func TestCatchUpAfterTheBusComesBack(t *testing.T) {
	f, bus := newLossyFixture(t, Options{})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	c := f.login(u)
	c.join(w, -1)
	f.publish(w, events.WorkItemCreated, nil)
	if got := c.events(1); fmt.Sprint(got) != "[1]" {
		t.Fatalf("seqs %v", got)
	}
	bus.setDown(true)
	if f.h.Ready(context.Background()) == nil {
		t.Fatal("the hub reports ready while its bus is down")
	}
	for range 3 {
		f.store(w, events.WorkItemUpdated, nil) // made through another instance, never heard of
	}
	c.nothingQueued()
	bus.setDown(false)
	if got := c.events(3); fmt.Sprint(got) != "[2 3 4]" {
		t.Fatalf("after the catch-up got %v, want [2 3 4]", got)
	}
	if err := f.h.Ready(context.Background()); err != nil {
		t.Fatalf("ready after the bus came back: %v", err)
	}
	// An entry the bus delivers late, after the catch-up read it, is a duplicate.
	e5 := f.store(w, events.WorkItemUpdated, nil)
	f.bus.Broadcast(context.Background(), auditlog.Entry{WorkspaceID: w, Seq: 3})
	f.bus.Broadcast(context.Background(), e5)
	if got := c.events(1); got[0] != 5 {
		t.Fatalf("got %v, want [5]", got)
	}
	c.nothingQueued()
}

// Past the replay limit the room cannot keep its subscribers exact: they get resync, and the
// live stream goes on from the head.
func TestCatchUpPastTheReplayLimitSendsResync(t *testing.T) {
	f, bus := newLossyFixture(t, Options{ReplayLimit: 5})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	c := f.login(u)
	c.join(w, -1)
	bus.setDown(true)
	for range 8 {
		f.store(w, events.WorkItemUpdated, nil)
	}
	bus.setDown(false)
	if m := c.read(); m["type"] != "resync" || m["workspaceId"] != w {
		t.Fatalf("got %v, want resync", m)
	}
	f.publish(w, events.WorkItemUpdated, nil)
	if got := c.events(1); got[0] != 9 {
		t.Fatalf("after resync got %v, want [9]", got)
	}
}

// A client that resumes on an instance lagging behind the one it came from (entries still in
// flight on the bus) does not get again what it already has.
func TestResumeAheadOfALaggingInstanceSkipsWhatTheClientHas(t *testing.T) {
	f, bus := newLossyFixture(t, Options{})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	warm := f.login(u)
	warm.join(w, -1) // the room exists, its baseline is seq 0
	bus.setDown(true)
	f.store(w, events.WorkItemCreated, nil) // seqs 1-3 reached the client through another instance
	f.store(w, events.WorkItemUpdated, nil)
	f.store(w, events.WorkItemUpdated, nil)
	c := f.login(u)
	c.join(w, 3)
	bus.setDown(false) // this instance now catches up with 1-3
	if got := warm.events(3); fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("the other client got %v", got)
	}
	f.publish(w, events.WorkItemUpdated, nil)
	if got := c.events(1); got[0] != 4 {
		t.Fatalf("the resumed client got seq %d first, want 4 (it had 1-3)", got[0])
	}
	c.nothingQueued()
}
