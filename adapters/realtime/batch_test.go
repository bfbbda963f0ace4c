package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

func TestAppendBatchSplitsOnSize(t *testing.T) {
	small := frame{b: []byte(`{"type":"pong"}`)}
	big := frame{b: bytes.Repeat([]byte("x"), maxBatchBytes)}
	msg, rest := appendBatch(nil, []frame{small, small, small})
	if string(msg) != `{"type":"pong"}`+"\n"+`{"type":"pong"}`+"\n"+`{"type":"pong"}` || len(rest) != 0 {
		t.Fatalf("three small frames: %q, %d left", msg, len(rest))
	}
	msg, rest = appendBatch(nil, []frame{small, big, small})
	if string(msg) != `{"type":"pong"}` || len(rest) != 2 {
		t.Fatalf("a frame that does not fit starts the next message: %q, %d left", msg, len(rest))
	}
	msg, rest = appendBatch(nil, rest)
	if len(msg) != maxBatchBytes || len(rest) != 1 {
		t.Fatalf("a frame as large as a message goes alone: %d bytes, %d left", len(msg), len(rest))
	}
}

func TestTakePopsUpToMaxThenEndsTheDrain(t *testing.T) {
	o := newOutbox(outboxLimits{size: 64, liveWait: time.Second, stuckWrite: time.Second, replayWait: time.Second})
	var woken int
	o.attach(&testTransport{onWake: func() { woken++ }})
	for i := range 20 {
		o.enqueue(frame{b: []byte(fmt.Sprint(i)), seq: int64(i + 1)})
	}
	var held [MaxBatch]frame
	got, closing, _, _ := o.take(held[:0], MaxBatch)
	if len(got) != MaxBatch || got[0].seq != 1 || got[MaxBatch-1].seq != MaxBatch || closing {
		t.Fatalf("first take: %d frames", len(got))
	}
	got, _, _, _ = o.take(held[:0], MaxBatch)
	if len(got) != 4 || got[0].seq != MaxBatch+1 {
		t.Fatalf("second take: %d frames", len(got))
	}
	if got, closing, _, _ = o.take(held[:0], MaxBatch); len(got) != 0 || closing {
		t.Fatalf("an empty outbox gave %d frames (closing %v)", len(got), closing)
	}
	o.enqueue(frame{b: []byte("again")})
	if woken != 2 {
		t.Fatalf("woken %d times, want 2: once at first, once after the drain ended", woken)
	}
}

// A client that asks for batches at auth is told so in ready and gets several frames in one
// message, newline-separated, each a frame of the protocol; one that does not gets one each.
func TestBatchedMessages(t *testing.T) {
	f := newFixture(t, Options{})
	w, u := ids.New(), ids.New()
	f.az.set(w, u, true)
	c := f.dial(nil)
	c.send(map[string]any{"type": "auth", "token": f.auth.issue(u, time.Hour), "batch": true})
	if m := c.read(); m["type"] != "ready" || m["batch"] != true {
		t.Fatalf("auth with batch answered %v", m)
	}
	wc := onlyClient(t, f.h).t.(*wsConn)
	frames := []frame{{b: encodeSimple(TypePong, json.RawMessage(`"a"`))}, {b: encodeSimple(TypePong, json.RawMessage(`"b"`))}}
	if err := wc.send(frames); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, msg, err := c.conn.Read(ctx)
	if err != nil || string(msg) != `{"type":"pong","ref":"a"}`+"\n"+`{"type":"pong","ref":"b"}` {
		t.Fatalf("one message of two frames: %q %v", msg, err)
	}
	// Live events, however they are grouped, arrive complete and in order.
	c.join(w, -1)
	for range 40 {
		f.publish(w, events.WorkItemUpdated, nil)
	}
	var seqs []int64
	for len(seqs) < 40 {
		_, msg, err := c.conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(string(msg), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil || m["type"] != "event" {
				t.Fatalf("line %q of a batch: %v", line, err)
			}
			seqs = append(seqs, int64(m["seq"].(float64)))
		}
	}
	if fmt.Sprint(seqs) != fmt.Sprint(seqRange(1, 40)) {
		t.Fatalf("seqs %v", seqs)
	}

	plain := f.login(ids.New()) // no batch: ready says nothing of it, and frames come one each
	if pc := onlyOther(t, f.h, wc.s).t.(*wsConn); pc.send(frames) != nil {
		t.Fatal("send")
	}
	if m := plain.read(); m["ref"] != "a" {
		t.Fatalf("first of two unbatched frames: %v", m)
	}
	if m := plain.read(); m["ref"] != "b" {
		t.Fatalf("second of two unbatched frames: %v", m)
	}
}

// onlyOther returns the hub's one session other than s.
func onlyOther(t *testing.T, h *Hub, s *session) *session {
	t.Helper()
	for _, o := range h.all() {
		if o != s {
			return o
		}
	}
	t.Fatal("no other session")
	return nil
}

// countingConn is a socket that records its writes.
type countingConn struct {
	net.Conn
	writes [][]byte
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

// Frames written while the cork is held go out in one socket write on release; outside a hold
// every write goes straight through.
func TestCorkGathersWritesIntoOne(t *testing.T) {
	sock := &countingConn{}
	w := &corkWriter{Conn: sock}
	_, _ = w.Write([]byte("a"))
	w.hold()
	for _, p := range []string{"b", "c", "d"} {
		_, _ = w.Write([]byte(p))
	}
	if len(sock.writes) != 1 {
		t.Fatalf("%d socket writes during the hold, want 1 (the one before it)", len(sock.writes))
	}
	if err := w.release(); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("e"))
	if got := fmt.Sprintf("%q", sock.writes); got != `["a" "bcd" "e"]` {
		t.Fatalf("socket writes %s", got)
	}
	w.hold()
	if err := w.release(); err != nil || len(sock.writes) != 3 {
		t.Fatalf("an empty hold wrote something: %v %d", err, len(sock.writes))
	}
}
