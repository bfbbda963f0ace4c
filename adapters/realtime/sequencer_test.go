package realtime

import (
	"fmt"
	"slices"
	"testing"

	"github.com/workspaceops/workspaceops/modules/auditlog"
)

func seqs(es []auditlog.Entry) []int64 {
	out := make([]int64, 0, len(es))
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func entry(seq int64) auditlog.Entry { return auditlog.Entry{WorkspaceID: "w", Seq: seq} }

func TestSequencer(t *testing.T) {
	cases := []struct {
		name     string
		head     int64
		offers   []int64
		want     []int64 // delivered, in order, after all offers
		waiting  bool
		delivers int64 // delivered() at the end
	}{
		{"in order", 0, []int64{1, 2, 3}, []int64{1, 2, 3}, false, 3},
		{"out of order", 0, []int64{2, 3, 1}, []int64{1, 2, 3}, false, 3},
		{"reversed", 0, []int64{5, 4, 3, 2, 1}, []int64{1, 2, 3, 4, 5}, false, 5},
		{"duplicates", 0, []int64{1, 1, 2, 3, 3, 2}, []int64{1, 2, 3}, false, 3},
		{"duplicate while pending", 0, []int64{3, 3, 2, 1}, []int64{1, 2, 3}, false, 3},
		{"below the baseline", 10, []int64{9, 10, 11}, []int64{11}, false, 11},
		{"missing one waits", 0, []int64{1, 3, 4}, []int64{1}, true, 1},
		{"late arrival after delivery is dropped", 0, []int64{1, 2, 3, 2, 1}, []int64{1, 2, 3}, false, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSequencer(tc.head)
			var got []int64
			for _, n := range tc.offers {
				got = append(got, seqs(s.offer(entry(n)))...)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("delivered %v, want %v", got, tc.want)
			}
			if _, w := s.waiting(); w != tc.waiting {
				t.Fatalf("waiting = %v, want %v", w, tc.waiting)
			}
			if s.delivered() != tc.delivers {
				t.Fatalf("delivered() = %d, want %d", s.delivered(), tc.delivers)
			}
		})
	}
}

func TestSequencerFillsAndSkips(t *testing.T) {
	s := newSequencer(0)
	s.offer(entry(1))
	if got := s.offer(entry(3)); len(got) != 0 {
		t.Fatalf("3 delivered before 2: %v", seqs(got))
	}
	missing, waiting := s.waiting()
	if !waiting || missing != 2 {
		t.Fatalf("waiting = %v for %d, want 2", waiting, missing)
	}
	// The fill reads 2.. from the log: 2 and 3 (3 again, a duplicate).
	var got []int64
	for _, n := range []int64{2, 3} {
		got = append(got, seqs(s.offer(entry(n)))...)
	}
	if !slices.Equal(got, []int64{2, 3}) {
		t.Fatalf("after the fill %v, want [2 3]", got)
	}
	// A seq the log never had: skipped after the tries, what follows goes out.
	s.offer(entry(6))
	s.offer(entry(5))
	if got := seqs(s.skipGap()); !slices.Equal(got, []int64{5, 6}) {
		t.Fatalf("skip delivered %v, want [5 6]", got)
	}
	if _, waiting := s.waiting(); waiting || s.pending != nil {
		t.Fatal("still waiting after the skip")
	}
	if got := s.offer(entry(4)); len(got) != 0 {
		t.Fatalf("a skipped seq arriving late was delivered: %v", seqs(got))
	}
}

func TestSequencerBoundsPending(t *testing.T) {
	s := newSequencer(0)
	var got []int64
	for n := int64(2); n <= maxPending+2; n++ {
		got = append(got, seqs(s.offer(entry(n)))...)
	}
	if len(got) != maxPending+1 || got[0] != 2 {
		t.Fatalf("an overfull pending set was not released: %d delivered", len(got))
	}
}

// A room keeps its last recentFrames frames, contiguous, for resumes served from memory.
func TestRecentFrames(t *testing.T) {
	r := &room{}
	seqsOf := func(fs []frame) []int64 {
		var out []int64
		for _, f := range fs {
			out = append(out, f.seq)
		}
		return out
	}
	for n := int64(1); n <= 100; n++ {
		r.rememberLocked(frame{seq: n})
	}
	if got, ok := r.recentRange(97, 100); !ok || fmt.Sprint(seqsOf(got)) != "[98 99 100]" {
		t.Fatalf("recent (97, 100] = %v %v", seqsOf(got), ok)
	}
	if got, ok := r.recentRange(100-recentFrames, 100-recentFrames+2); !ok || len(got) != 2 || got[0].seq != 100-recentFrames+1 {
		t.Fatalf("the oldest kept: %v %v", seqsOf(got), ok)
	}
	if _, ok := r.recentRange(100-recentFrames-1, 100); ok {
		t.Fatal("served a range whose first frame was dropped")
	}
	if _, ok := r.recentRange(98, 101); ok {
		t.Fatal("served a range past the last frame")
	}
	if got, ok := r.recentRange(100, 100); !ok || len(got) != 0 {
		t.Fatalf("nothing to replay: %v %v", got, ok)
	}
	r.rememberLocked(frame{seq: 150}) // a skipped gap: what came before cannot be served
	if _, ok := r.recentRange(99, 150); ok {
		t.Fatal("served a range across a gap")
	}
	if got, ok := r.recentRange(149, 150); !ok || fmt.Sprint(seqsOf(got)) != "[150]" {
		t.Fatalf("after the gap: %v %v", seqsOf(got), ok)
	}
}
