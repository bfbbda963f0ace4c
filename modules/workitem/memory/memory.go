// Package memory is an in-memory workitem.Repository for unit tests and the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/platform/versioned"
)

// Store is a goroutine-safe in-memory work item repository.
type Store struct {
	mu    sync.Mutex
	items map[string]workitem.WorkItem
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{items: map[string]workitem.WorkItem{}} }

var _ workitem.Repository = (*Store)(nil)

// Create stores a new item.
func (s *Store) Create(_ context.Context, w workitem.WorkItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[w.ID] = w.Clone()
	return nil
}

// Get returns one item.
func (s *Store) Get(_ context.Context, wid, id string) (workitem.WorkItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(wid, id)
}

// get returns a copy of the stored item; the caller holds the lock.
func (s *Store) get(wid, id string) (workitem.WorkItem, error) {
	w, ok := s.items[id]
	if !ok || w.WorkspaceID != wid {
		return workitem.WorkItem{}, workitem.ErrNotFound
	}
	return w.Clone(), nil
}

// Update is the compare-and-set of platform/versioned under the store's lock, so it never
// loses a race.
func (s *Store) Update(_ context.Context, wid, id string, change func(*workitem.WorkItem) (bool, error)) (workitem.WorkItem, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	load := func() (workitem.WorkItem, error) { return s.get(wid, id) }
	return versioned.Update(versioned.InMemory(s.items, id, load), change)
}

// Delete removes one item.
func (s *Store) Delete(_ context.Context, wid, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.items[id]
	if !ok || w.WorkspaceID != wid {
		return workitem.ErrNotFound
	}
	delete(s.items, id)
	return nil
}

// DeleteWorkspace removes every item of the workspace.
func (s *Store) DeleteWorkspace(_ context.Context, wid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.items {
		if w.WorkspaceID == wid {
			delete(s.items, id)
		}
	}
	return nil
}

// List filters, orders and pages like the database does.
func (s *Store) List(_ context.Context, wid string, q workitem.Query) ([]workitem.WorkItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workitem.WorkItem
	for _, w := range s.items {
		if w.WorkspaceID == wid && matches(w, q.Filter) && after(w, q) {
			out = append(out, w.Clone())
		}
	}
	slices.SortFunc(out, func(a, b workitem.WorkItem) int {
		c := cmp.Or(cmp.Compare(workitem.SortValue(a, q.Sort), workitem.SortValue(b, q.Sort)), strings.Compare(a.ID, b.ID))
		if q.Desc {
			return -c
		}
		return c
	})
	return out[:min(q.Limit, len(out))], nil
}

func matches(w workitem.WorkItem, f workitem.Filter) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, w.Status),
		f.AssigneeID != "" && w.AssigneeID != f.AssigneeID,
		f.Tag != "" && !slices.Contains(w.Tags, f.Tag),
		f.Text != "" && !strings.Contains(strings.ToLower(w.Title), strings.ToLower(f.Text)),
		f.DueBefore != nil && (w.DueDate == nil || !w.DueDate.Before(*f.DueBefore)),
		f.DueAfter != nil && (w.DueDate == nil || !w.DueDate.After(*f.DueAfter)):
		return false
	}
	return true
}

func after(w workitem.WorkItem, q workitem.Query) bool {
	if q.After == nil {
		return true
	}
	c := cmp.Or(cmp.Compare(workitem.SortValue(w, q.Sort), q.After.Value), strings.Compare(w.ID, q.After.ID))
	if q.Desc {
		return c < 0
	}
	return c > 0
}

// IDsLinkedTo returns the items linking a document.
func (s *Store) IDsLinkedTo(_ context.Context, wid, docID string, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, w := range s.items {
		if w.WorkspaceID == wid && slices.Contains(w.DocumentIDs, docID) && len(out) < limit {
			out = append(out, w.ID)
		}
	}
	return out, nil
}

// Counts computes the overview figures.
func (s *Store) Counts(_ context.Context, wid string, now time.Time) (workitem.Counts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := workitem.Counts{ByStatus: map[workitem.Status]int{}, ByPriority: map[workitem.Priority]int{}}
	for _, w := range s.items {
		if w.WorkspaceID != wid {
			continue
		}
		c.ByStatus[w.Status]++
		c.ByPriority[w.Priority]++
		if w.Overdue(now) {
			c.Overdue++
		}
	}
	return c, nil
}
