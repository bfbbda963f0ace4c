// Package memory is an in-memory idempotency.Repository for unit tests and as the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/idempotency"
)

// Records is a goroutine-safe in-memory record store.
type Records struct {
	mu sync.Mutex
	m  map[[2]string]idempotency.Record
}

var _ idempotency.Repository = (*Records)(nil)

// NewRecords returns an empty store.
func NewRecords() *Records { return &Records{m: map[[2]string]idempotency.Record{}} }

func clone(r idempotency.Record) idempotency.Record {
	r.Header = maps.Clone(r.Header)
	r.Body = slices.Clone(r.Body)
	return r
}

// Insert stores r unless its scope and key exist.
func (s *Records) Insert(_ context.Context, r idempotency.Record) (idempotency.Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := [2]string{r.Scope, r.Key}
	if old, ok := s.m[id]; ok {
		return clone(old), false, nil
	}
	s.m[id] = clone(r)
	return idempotency.Record{}, true, nil
}

// Complete stores the answer of the claim token.
func (s *Records) Complete(_ context.Context, scope, key, token string, status int, header map[string]string, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := [2]string{scope, key}
	r, ok := s.m[id]
	if !ok || r.Token != token {
		return idempotency.ErrClaimLost
	}
	r.Status, r.Header, r.Body = status, maps.Clone(header), slices.Clone(body)
	s.m[id] = r
	return nil
}

// Release deletes the record of the claim token.
func (s *Records) Release(_ context.Context, scope, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := [2]string{scope, key}
	if r, ok := s.m[id]; ok && r.Token == token {
		delete(s.m, id)
	}
	return nil
}

// DeleteExpired deletes the records expired at now.
func (s *Records) DeleteExpired(_ context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, r := range s.m {
		if !r.ExpiresAt.After(now) {
			delete(s.m, id)
		}
	}
	return nil
}
