package realtime

import (
	"maps"
	"slices"

	"github.com/workspaceops/workspaceops/modules/auditlog"
)

// sequencer turns the entries of one workspace, offered in any order and possibly twice, into
// the gap-free seq order clients see. It is pure bookkeeping; the room that owns it guards it
// with its lock and fills gaps from the log (see room.fill).
//
// Entries arrive in the order their appends finished, which across concurrent appends (and,
// with several instances, across a bus) can differ from seq order: an early entry waits in
// pending until every lower seq was delivered.
type sequencer struct {
	next    int64 // the seq delivered next; everything below it was delivered (or skipped)
	pending map[int64]auditlog.Entry
}

// maxPending bounds the entries waiting for a missing one; beyond it the gap is skipped.
const maxPending = 4096

func newSequencer(head int64) *sequencer { return &sequencer{next: head + 1} }

// delivered is the highest seq handed out.
func (s *sequencer) delivered() int64 { return s.next - 1 }

// offer takes an entry and returns the entries now deliverable, in seq order. A duplicate (a
// seq already delivered or already pending) is dropped.
func (s *sequencer) offer(e auditlog.Entry) []auditlog.Entry {
	if e.Seq < s.next {
		return nil
	}
	if e.Seq > s.next {
		if _, dup := s.pending[e.Seq]; !dup {
			if s.pending == nil {
				s.pending = map[int64]auditlog.Entry{}
			}
			s.pending[e.Seq] = e
		}
		if len(s.pending) > maxPending {
			return s.skipGap()
		}
		return nil
	}
	out := []auditlog.Entry{e}
	s.next++
	return s.drain(out)
}

func (s *sequencer) drain(out []auditlog.Entry) []auditlog.Entry {
	for len(s.pending) > 0 {
		e, ok := s.pending[s.next]
		if !ok {
			break
		}
		delete(s.pending, s.next)
		out = append(out, e)
		s.next++
	}
	if len(s.pending) == 0 {
		s.pending = nil // an idle workspace keeps no map
	}
	return out
}

// waiting reports whether entries wait for a missing seq, and which seq that is.
func (s *sequencer) waiting() (missing int64, ok bool) {
	return s.next, len(s.pending) > 0
}

// skipGap gives up on the missing seqs below the lowest pending entry (they are not in the log
// either) and returns what becomes deliverable.
func (s *sequencer) skipGap() []auditlog.Entry {
	if len(s.pending) == 0 {
		return nil
	}
	s.next = slices.Min(slices.Collect(maps.Keys(s.pending)))
	return s.drain(nil)
}
