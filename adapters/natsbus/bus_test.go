package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/workspaceops/workspaceops/adapters/natsbus/natstest"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
)

// recorder is a subscriber (a hub) that remembers what it was given.
type recorder struct {
	mu      sync.Mutex
	entries []auditlog.Entry
	lost    int
	got     chan struct{}
}

func newRecorder(b *Bus) *recorder {
	r := &recorder{got: make(chan struct{}, 100)}
	b.Subscribe(func(e auditlog.Entry) {
		r.mu.Lock()
		r.entries = append(r.entries, e)
		r.mu.Unlock()
		r.got <- struct{}{}
	}, func() {
		r.mu.Lock()
		r.lost++
		r.mu.Unlock()
	})
	return r
}

func (r *recorder) wait(t *testing.T, n int) []auditlog.Entry {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		if len(r.entries) >= n {
			out := append([]auditlog.Entry(nil), r.entries...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d entries after 10s, want %d", len(r.entries), n)
		}
	}
}

func (r *recorder) lostCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost
}

func newBus(t *testing.T, url string) *Bus {
	t.Helper()
	return newBusPolling(t, url, 50*time.Millisecond)
}

func newBusPolling(t *testing.T, url string, poll time.Duration) *Bus {
	t.Helper()
	b, err := New(Options{URL: url, Subject: "test.audit", Name: t.Name(), Poll: poll, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sample(seq int64) auditlog.Entry {
	return auditlog.Entry{ID: "e1", WorkspaceID: "6561f0c2a1b2c3d4e5f60718", Seq: seq, Action: "WORK_ITEM_STATUS_CHANGED",
		Event: events.WorkItemStatusChanged, TargetType: "work-item", TargetID: "6561f0c2a1b2c3d4e5f60719", ActorID: "u1",
		At: time.Date(2026, 11, 26, 4, 0, 0, 123000000, time.UTC), Data: map[string]any{"from": "DRAFT", "to": "ACTIVE", "version": json.Number("9007199254740993")},
		Trace: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} // the trace crosses instances
}

// An entry broadcast on one instance reaches its own hub once (in-process, not echoed back)
// and every other instance's hub once, unchanged.
func TestEntriesReachEveryInstanceOnce(t *testing.T) {
	srv := natstest.Start(t)
	a, b := newBus(t, srv.URL()), newBus(t, srv.URL())
	ra, rb := newRecorder(a), newRecorder(b)
	waitFor(t, "both connected", func() bool { return a.Ready(context.Background()) == nil && b.Ready(context.Background()) == nil })
	if err := a.nc.Flush(); err != nil { // the subscriptions are registered on the server
		t.Fatal(err)
	}
	if err := b.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	want := sample(7)
	a.Broadcast(context.Background(), want)
	got := rb.wait(t, 1)
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("received\n%+v\nwant\n%+v", got[0], want)
	}
	if local := ra.wait(t, 1); len(local) != 1 || !reflect.DeepEqual(local[0], want) {
		t.Fatalf("local delivery %+v", local)
	}
	b.Broadcast(context.Background(), sample(8))
	if got := ra.wait(t, 2); got[1].Seq != 8 {
		t.Fatalf("a got %+v", got)
	}
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // an echo, if there were one, would have arrived by now
	if n := len(ra.wait(t, 2)); n != 2 {
		t.Fatalf("a received %d entries, want 2 (no echo of its own)", n)
	}
	waitFor(t, "counted", func() bool { st := a.Stats(); return st.Published == 1 && st.Received == 1 })
	if st := a.Stats(); st.PublishFailures != 0 || st.Malformed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// While NATS is down the bus is not ready and keeps telling subscribers to re-read the log;
// when it is back the bus reconnects by itself, says so once more, and carries entries again.
func TestOutageAndRecovery(t *testing.T) {
	srv := natstest.Start(t)
	a, b := newBus(t, srv.URL()), newBus(t, srv.URL())
	ra, rb := newRecorder(a), newRecorder(b)
	slow := newBusPolling(t, srv.URL(), time.Hour) // polls never: only connects say "lost"
	rslow := newRecorder(slow)
	waitFor(t, "connected", func() bool {
		return a.Ready(context.Background()) == nil && b.Ready(context.Background()) == nil && slow.Ready(context.Background()) == nil
	})
	connects := rslow.lostCount()

	srv.Stop()
	waitFor(t, "not ready", func() bool { return a.Ready(context.Background()) != nil })
	before := ra.lostCount()
	waitFor(t, "polls while down", func() bool { return ra.lostCount() >= before+2 })
	a.Broadcast(context.Background(), sample(1)) // buffered by the client or counted as failed; never blocks

	srv.Restart()
	waitFor(t, "reconnected", func() bool { return a.Ready(context.Background()) == nil && b.Ready(context.Background()) == nil })
	waitFor(t, "a reconnect says lost", func() bool { return rslow.lostCount() > connects })
	if err := b.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	a.Broadcast(context.Background(), sample(2))
	// Seq 1, published during the outage, may arrive too (late) if the client buffered it.
	waitFor(t, "seq 2 after recovery", func() bool {
		rb.mu.Lock()
		defer rb.mu.Unlock()
		return slices.ContainsFunc(rb.entries, func(e auditlog.Entry) bool { return e.Seq == 2 })
	})
}

// A bus started while NATS is down still starts (the instance serves REST), and connects when
// NATS appears.
func TestStartsWithoutNATS(t *testing.T) {
	srv := natstest.Start(t)
	url := srv.URL()
	srv.Stop()
	a := newBus(t, url)
	ra := newRecorder(a)
	if a.Ready(context.Background()) == nil {
		t.Fatal("ready without a server")
	}
	srv.Restart()
	waitFor(t, "connected", func() bool { return a.Ready(context.Background()) == nil })
	waitFor(t, "told to catch up", func() bool { return ra.lostCount() > 0 })
	// The subscription made before the connection exists works once it does.
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	b := newBus(t, url)
	waitFor(t, "b connected", func() bool { return b.Ready(context.Background()) == nil })
	b.Broadcast(context.Background(), sample(4))
	if got := ra.wait(t, 1); got[0].Seq != 4 {
		t.Fatalf("a got %+v", got)
	}
}

// Messages that are not entries (another writer on our subjects, a newer format) are dropped
// and counted, never delivered.
func TestMalformedMessagesAreDropped(t *testing.T) {
	srv := natstest.Start(t)
	a := newBus(t, srv.URL())
	ra := newRecorder(a)
	waitFor(t, "connected", func() bool { return a.Ready(context.Background()) == nil })
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	other, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	good, _ := json.Marshal(toMessage(sample(3)))
	wrongSubject := "test.audit.6561f0c2a1b2c3d4e5f607ff"
	for subject, data := range map[string][]byte{
		"test.audit.6561f0c2a1b2c3d4e5f60718": []byte(`{"v":1,"seq":"x"}`),
		"test.audit.6561f0c2a1b2c3d4e5f60719": []byte(`{"v":2,"workspaceId":"6561f0c2a1b2c3d4e5f60719","seq":1,"event":"work-item:created"}`),
		"test.audit.6561f0c2a1b2c3d4e5f6071a": []byte(`{"v":1,"workspaceId":"6561f0c2a1b2c3d4e5f6071a","seq":1,"event":"no-such:event"}`),
		wrongSubject:                          good, // an entry of another workspace than its subject says
	} {
		if err := other.Publish(subject, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Publish("test.audit.6561f0c2a1b2c3d4e5f60718", good); err != nil {
		t.Fatal(err)
	}
	if got := ra.wait(t, 1); len(got) != 1 || got[0].Seq != 3 {
		t.Fatalf("delivered %+v", got)
	}
	waitFor(t, "4 malformed counted", func() bool { return a.Stats().Malformed == 4 })
}

// A revocation announced by one instance reaches every other instance once, not itself and not
// the entry subscribers; a malformed one is dropped.
func TestRevocationsReachTheOtherInstances(t *testing.T) {
	srv := natstest.Start(t)
	a, b := newBus(t, srv.URL()), newBus(t, srv.URL())
	ra, rb := newRecorder(a), newRecorder(b)
	var mu sync.Mutex
	var gotA, gotB []string
	a.OnRevocation(func(uid string, gen int64) {
		mu.Lock()
		gotA = append(gotA, fmt.Sprintf("%s@%d", uid, gen))
		mu.Unlock()
	})
	b.OnRevocation(func(uid string, gen int64) {
		mu.Lock()
		gotB = append(gotB, fmt.Sprintf("%s@%d", uid, gen))
		mu.Unlock()
	})
	waitFor(t, "both connected", func() bool { return a.Ready(context.Background()) == nil && b.Ready(context.Background()) == nil })
	if err := b.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	a.AnnounceRevocation("u1", 3)
	if err := a.nc.Publish("test.audit.users.revoked", []byte(`{"v":1,"userId":"","generation":-1}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revocation", func() bool { mu.Lock(); defer mu.Unlock(); return len(gotB) == 1 })
	waitFor(t, "the malformed one counted", func() bool { return b.Stats().Malformed == 1 })
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // an echo, if there were one, would have arrived by now
	mu.Lock()
	defer mu.Unlock()
	if len(gotA) != 0 || gotB[0] != "u1@3" {
		t.Fatalf("a heard %v, b heard %v; want only b, u1@3", gotA, gotB)
	}
	if n := len(ra.wait(t, 0)) + len(rb.wait(t, 0)); n != 0 {
		t.Fatalf("%d revocations reached the entry subscribers", n)
	}
}
