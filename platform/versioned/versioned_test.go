package versioned_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/workspaceops/workspaceops/platform/versioned"
)

// note is the smallest versioned entity: an identity, a version and a list a clone must copy.
type note struct {
	ID      string
	Version int64
	Lines   []string
}

func (n note) Clone() note        { n.Lines = slices.Clone(n.Lines); return n }
func (n note) Revision() int64    { return n.Version }
func (n *note) Succeed(prev note) { n.ID, n.Version = prev.ID, prev.Version+1 }

var errConflict = errors.New("conflict")

// table is a one-record store whose writes other writers may beat: before each of the first
// `lose` replaces, another writer bumps the version, so the replace finds a version it did not
// load.
type table struct {
	stored   note
	lose     int
	loads    int
	replaces int
}

func (t *table) store(attempts int) versioned.Store[note] {
	return versioned.Store[note]{
		Load: func() (note, error) { t.loads++; return t.stored.Clone(), nil },
		Replace: func(loaded, next note) (bool, error) {
			t.replaces++
			if t.lose > 0 {
				t.lose--
				t.stored.Version++
				t.stored.Lines = append(t.stored.Lines, "theirs")
			}
			if t.stored.Version != loaded.Version {
				return false, nil
			}
			t.stored = next.Clone()
			return true, nil
		},
		Attempts: attempts,
		Conflict: errConflict,
	}
}

func addLine(n *note) (bool, error) {
	n.Lines = append(n.Lines, "mine")
	n.ID, n.Version = "moved", 99 // a change cannot move the note nor pick its version
	return true, nil
}

func TestUpdate(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name      string
		attempts  int
		lose      int
		change    func(*note) (bool, error)
		wantErr   error
		wantWrote bool
		want      note // what Update returns
		stored    note // what the store holds afterwards
		loads     int
	}{
		{name: "first try", attempts: 3, change: addLine, wantWrote: true,
			want: note{"n1", 2, []string{"a", "mine"}}, stored: note{"n1", 2, []string{"a", "mine"}}, loads: 1},
		{name: "a lost race retries on a fresh load", attempts: 3, lose: 2, change: addLine, wantWrote: true,
			want:   note{"n1", 4, []string{"a", "theirs", "theirs", "mine"}},
			stored: note{"n1", 4, []string{"a", "theirs", "theirs", "mine"}}, loads: 3},
		{name: "every race lost is a conflict", attempts: 3, lose: 3, change: addLine, wantErr: errConflict,
			stored: note{"n1", 4, []string{"a", "theirs", "theirs", "theirs"}}, loads: 3},
		{name: "no attempts means one", attempts: 0, lose: 1, change: addLine, wantErr: errConflict,
			stored: note{"n1", 2, []string{"a", "theirs"}}, loads: 1},
		{name: "a change error aborts with nothing written", attempts: 3,
			change:  func(n *note) (bool, error) { n.Lines = append(n.Lines, "half"); return true, boom },
			wantErr: boom, stored: note{"n1", 1, []string{"a"}}, loads: 1},
		{name: "a declined change returns the loaded note", attempts: 3,
			change: func(n *note) (bool, error) { n.Lines = append(n.Lines, "ignored"); return false, nil },
			want:   note{"n1", 1, []string{"a"}}, stored: note{"n1", 1, []string{"a"}}, loads: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := &table{stored: note{"n1", 1, []string{"a"}}, lose: c.lose}
			got, wrote, err := versioned.Update(tb.store(c.attempts), c.change)
			if !errors.Is(err, c.wantErr) || wrote != c.wantWrote {
				t.Fatalf("Update = wrote %v, err %v; want %v, %v", wrote, err, c.wantWrote, c.wantErr)
			}
			if !equal(got, c.want) || !equal(tb.stored, c.stored) {
				t.Errorf("Update returned %+v, stored %+v; want %+v, %+v", got, tb.stored, c.want, c.stored)
			}
			if tb.loads != c.loads {
				t.Errorf("%d loads, want %d", tb.loads, c.loads)
			}
			if c.wantErr != nil && c.wantErr != errConflict && tb.replaces != 0 {
				t.Errorf("%d replaces after a change error, want none", tb.replaces)
			}
		})
	}
}

func TestUpdateStopsAtLoadAndReplaceErrors(t *testing.T) {
	gone, down := errors.New("not found"), errors.New("store down")
	for _, c := range []struct {
		name    string
		store   versioned.Store[note]
		wantErr error
	}{
		{"load", versioned.Store[note]{
			Load:    func() (note, error) { return note{}, gone },
			Replace: func(note, note) (bool, error) { t.Fatal("replace after a failed load"); return false, nil },
		}, gone},
		{"replace", versioned.Store[note]{
			Load:    func() (note, error) { return note{ID: "n1", Version: 1}, nil },
			Replace: func(note, note) (bool, error) { return false, down },
		}, down},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.store.Attempts, c.store.Conflict = 5, errConflict
			got, wrote, err := versioned.Update(c.store, addLine)
			if !errors.Is(err, c.wantErr) || wrote || !equal(got, note{}) {
				t.Fatalf("Update = %+v, %v, %v; want the zero note and %v", got, wrote, err, c.wantErr)
			}
		})
	}
}

func equal(a, b note) bool {
	return a.ID == b.ID && a.Version == b.Version && slices.Equal(a.Lines, b.Lines)
}

// InMemory writes a copy: changing what Update returned leaves the map's entity as written.
func TestInMemoryKeepsItsOwnCopy(t *testing.T) {
	m := map[string]note{"n1": {"n1", 1, []string{"a"}}}
	load := func() (note, error) { return m["n1"].Clone(), nil }
	got, wrote, err := versioned.Update(versioned.InMemory(m, "n1", load), addLine)
	if err != nil || !wrote || !equal(got, note{"n1", 2, []string{"a", "mine"}}) {
		t.Fatalf("Update = %+v, %v, %v", got, wrote, err)
	}
	got.Lines[0] = "changed"
	if !equal(m["n1"], note{"n1", 2, []string{"a", "mine"}}) {
		t.Errorf("the map holds %+v", m["n1"])
	}
}
