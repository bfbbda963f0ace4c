// Package memory is an in-memory apikey.Repository for unit tests and as the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/apikey"
)

// Keys is a goroutine-safe in-memory key store.
type Keys struct {
	mu     sync.Mutex
	byID   map[string]apikey.Key
	byHash map[string]string
}

var _ apikey.Repository = (*Keys)(nil)

// NewKeys returns an empty store.
func NewKeys() *Keys { return &Keys{byID: map[string]apikey.Key{}, byHash: map[string]string{}} }

// Create stores k unless its id or hash is taken.
func (s *Keys) Create(_ context.Context, k apikey.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[k.ID]; ok {
		return apikey.ErrKeyExists
	}
	if _, ok := s.byHash[k.Hash]; ok {
		return apikey.ErrKeyExists
	}
	s.byID[k.ID] = clone(k)
	s.byHash[k.Hash] = k.ID
	return nil
}

// ByID returns the key with id.
func (s *Keys) ByID(_ context.Context, id string) (apikey.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byID[id]
	if !ok {
		return apikey.Key{}, apikey.ErrKeyNotFound
	}
	return clone(k), nil
}

// ByHash returns the key with the token hash.
func (s *Keys) ByHash(ctx context.Context, hash string) (apikey.Key, error) {
	s.mu.Lock()
	id, ok := s.byHash[hash]
	s.mu.Unlock()
	if !ok {
		return apikey.Key{}, apikey.ErrKeyNotFound
	}
	return s.ByID(ctx, id)
}

// List returns a workspace's keys by id after afterID, at most limit.
func (s *Keys) List(_ context.Context, workspaceID, afterID string, limit int) ([]apikey.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apikey.Key
	for _, k := range s.byID {
		if k.WorkspaceID == workspaceID && k.ID > afterID {
			out = append(out, clone(k))
		}
	}
	slices.SortFunc(out, func(a, b apikey.Key) int { return strings.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Count counts a workspace's keys.
func (s *Keys) Count(_ context.Context, workspaceID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.byID {
		if k.WorkspaceID == workspaceID {
			n++
		}
	}
	return n, nil
}

// Delete removes a workspace's key.
func (s *Keys) Delete(_ context.Context, workspaceID, id string) (apikey.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byID[id]
	if !ok || k.WorkspaceID != workspaceID {
		return apikey.Key{}, apikey.ErrKeyNotFound
	}
	delete(s.byID, id)
	delete(s.byHash, k.Hash)
	return k, nil
}

// Touch sets the last use unless it is at or after notBefore.
func (s *Keys) Touch(_ context.Context, id string, at, notBefore time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byID[id]
	if !ok || (k.LastUsedAt != nil && !k.LastUsedAt.Before(notBefore)) {
		return nil
	}
	at = at.UTC()
	k.LastUsedAt = &at
	s.byID[id] = k
	return nil
}

// clone copies the key's pointers, so that no caller shares the stored times.
func clone(k apikey.Key) apikey.Key {
	if k.ExpiresAt != nil {
		t := *k.ExpiresAt
		k.ExpiresAt = &t
	}
	if k.LastUsedAt != nil {
		t := *k.LastUsedAt
		k.LastUsedAt = &t
	}
	return k
}
