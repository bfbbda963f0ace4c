package workitem_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/workitem"
)

var (
	t1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 = t1.Add(time.Hour)
)

func TestCloneSharesNothing(t *testing.T) {
	due := t1
	for _, c := range []struct {
		name string
		item workitem.WorkItem
	}{
		{"empty lists, no due date", workitem.WorkItem{ID: "w1", Tags: []string{}, DocumentIDs: []string{}}},
		{"nil lists", workitem.WorkItem{ID: "w1"}},
		{"lists and due date", workitem.WorkItem{ID: "w1", Tags: make([]string, 1, 8), DocumentIDs: []string{"d1"}, DueDate: &due}},
	} {
		t.Run(c.name, func(t *testing.T) {
			orig := c.item
			tags, docs := slices.Clone(orig.Tags), slices.Clone(orig.DocumentIDs)
			clone := orig.Clone()
			if clone.ID != orig.ID || !slices.Equal(clone.Tags, orig.Tags) || !slices.Equal(clone.DocumentIDs, orig.DocumentIDs) ||
				(clone.DueDate == nil) != (orig.DueDate == nil) {
				t.Fatalf("clone %+v differs from %+v", clone, orig)
			}
			if len(clone.Tags) > 0 {
				clone.Tags[0] = "changed"
			}
			clone.Tags = append(clone.Tags, "appended") // would land in orig's spare capacity if shared
			if len(clone.DocumentIDs) > 0 {
				clone.DocumentIDs[0] = "changed"
			}
			if clone.DueDate != nil {
				*clone.DueDate = t2
			}
			if !slices.Equal(orig.Tags, tags) || !slices.Equal(orig.DocumentIDs, docs) || (orig.DueDate != nil && !orig.DueDate.Equal(t1)) {
				t.Errorf("changing the clone changed the original: %+v", orig)
			}
			if cap(orig.Tags) > len(orig.Tags) && orig.Tags[:len(orig.Tags)+1][len(orig.Tags)] == "appended" {
				t.Error("the clone appended into the original's array")
			}
		})
	}
}

func TestMoveToFollowsTheLifecycle(t *testing.T) {
	for _, c := range []struct {
		from, to workitem.Status
		ok       bool
	}{
		{workitem.Draft, workitem.Active, true},
		{workitem.Draft, workitem.Completed, false},
		{workitem.Draft, workitem.Draft, false},
		{workitem.Active, workitem.Draft, true},
		{workitem.Active, workitem.Completed, true},
		{workitem.Active, workitem.Active, false},
		{workitem.Completed, workitem.Active, true},
		{workitem.Completed, workitem.Draft, false},
		{workitem.Completed, workitem.Completed, false},
	} {
		t.Run(string(c.from)+"->"+string(c.to), func(t *testing.T) {
			w := workitem.WorkItem{Status: c.from, UpdatedAt: t1}
			err := w.MoveTo(c.to, t2)
			switch {
			case c.ok && (err != nil || w.Status != c.to || !w.UpdatedAt.Equal(t2)):
				t.Errorf("MoveTo = %v, item %s at %v; want %s at %v", err, w.Status, w.UpdatedAt, c.to, t2)
			case !c.ok && (!errors.Is(err, workitem.ErrInvalidTransition) || w.Status != c.from || !w.UpdatedAt.Equal(t1)):
				t.Errorf("MoveTo = %v, item %s at %v; want ErrInvalidTransition and the item unchanged", err, w.Status, w.UpdatedAt)
			}
		})
	}
}

func TestLinkAndUnlinkDocument(t *testing.T) {
	full := make([]string, workitem.MaxDocuments)
	for i := range full {
		full[i] = string(rune('a' + i%26))
	}
	for _, c := range []struct {
		name      string
		links     []string
		link      bool // LinkDocument, else UnlinkDocument
		wantOK    bool
		wantErr   error
		wantLinks []string
	}{
		{"link a new document", []string{"d1"}, true, true, nil, []string{"d1", "d2"}},
		{"link twice", []string{"d2"}, true, false, nil, []string{"d2"}},
		{"link past the limit", full, true, false, workitem.ErrTooManyDocuments, full},
		{"unlink a linked document", []string{"d1", "d2", "d3"}, false, true, nil, []string{"d1", "d3"}},
		{"unlink what is not linked", []string{"d1"}, false, false, nil, []string{"d1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			orig := slices.Clone(c.links)
			shared := workitem.WorkItem{DocumentIDs: c.links, UpdatedAt: t1}
			w := shared // a shallow copy: the change must not reach shared's list
			var ok bool
			var err error
			if c.link {
				ok, err = w.LinkDocument("d2", t2)
			} else {
				ok = w.UnlinkDocument("d2", t2)
			}
			if ok != c.wantOK || !errors.Is(err, c.wantErr) || !slices.Equal(w.DocumentIDs, c.wantLinks) {
				t.Fatalf("= %v, %v, links %v; want %v, %v, %v", ok, err, w.DocumentIDs, c.wantOK, c.wantErr, c.wantLinks)
			}
			if want := map[bool]time.Time{true: t2, false: t1}[ok]; !w.UpdatedAt.Equal(want) {
				t.Errorf("UpdatedAt = %v, want %v", w.UpdatedAt, want)
			}
			if !slices.Equal(shared.DocumentIDs, orig) {
				t.Errorf("the shallow copy's links became %v, want %v", shared.DocumentIDs, orig)
			}
		})
	}
}

func TestSucceedKeepsIdentityAndIncrementsVersion(t *testing.T) {
	prev := workitem.WorkItem{ID: "w1", WorkspaceID: "ws1", Version: 7}
	next := prev.Clone()
	next.ID, next.WorkspaceID, next.Version, next.Title = "other", "ws2", 99, "edited"
	next.Succeed(prev)
	if next.ID != "w1" || next.WorkspaceID != "ws1" || next.Version != 8 || next.Title != "edited" || prev.Revision() != 7 {
		t.Errorf("Succeed gave %+v", next)
	}
}
