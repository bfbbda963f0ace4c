// Package memory is an in-memory auditlog.Repository for unit tests and the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/workspaceops/workspaceops/modules/auditlog"
)

// Store is a goroutine-safe in-memory audit log.
type Store struct {
	mu      sync.Mutex
	entries map[string][]auditlog.Entry // by workspace, in seq order
}

// NewStore returns an empty log.
func NewStore() *Store { return &Store{entries: map[string][]auditlog.Entry{}} }

var _ auditlog.Repository = (*Store)(nil)

// Append stores e with the next seq.
func (s *Store) Append(_ context.Context, e auditlog.Entry) (auditlog.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Seq = int64(len(s.entries[e.WorkspaceID])) + 1
	e.Data = maps.Clone(e.Data)
	s.entries[e.WorkspaceID] = append(s.entries[e.WorkspaceID], e)
	return e, nil
}

// List returns matching entries newest first.
func (s *Store) List(_ context.Context, wid string, q auditlog.Query) ([]auditlog.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []auditlog.Entry
	all := s.entries[wid]
	for i := len(all) - 1; i >= 0 && len(out) < q.Limit; i-- {
		e := all[i]
		switch {
		case q.BeforeSeq > 0 && e.Seq >= q.BeforeSeq,
			len(q.Actions) > 0 && !slices.Contains(q.Actions, e.Action),
			q.ActorID != "" && e.ActorID != q.ActorID,
			q.TargetType != "" && e.TargetType != q.TargetType,
			q.TargetID != "" && e.TargetID != q.TargetID,
			q.From != nil && e.At.Before(*q.From),
			q.To != nil && !e.At.Before(*q.To):
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// Since returns entries after afterSeq, oldest first.
func (s *Store) Since(_ context.Context, wid string, afterSeq int64, limit int) ([]auditlog.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.entries[wid]
	if afterSeq < 0 {
		afterSeq = 0
	}
	if afterSeq >= int64(len(all)) {
		return nil, nil
	}
	rest := all[afterSeq:]
	return slices.Clone(rest[:min(limit, len(rest))]), nil
}

// Head returns the latest seq.
func (s *Store) Head(_ context.Context, wid string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.entries[wid])), nil
}
