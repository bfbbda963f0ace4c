// Package memory is an in-memory webhook.Repository for unit tests and the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/platform/versioned"
)

// Store is a goroutine-safe in-memory webhook store.
type Store struct {
	mu       sync.Mutex
	hooks    map[string]webhook.Webhook
	attempts map[string]webhook.Attempt // by webhook id + "/" + key
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{hooks: map[string]webhook.Webhook{}, attempts: map[string]webhook.Attempt{}}
}

var _ webhook.Repository = (*Store)(nil)

// Create stores w.
func (s *Store) Create(_ context.Context, w webhook.Webhook) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[w.ID] = w.Clone()
	return nil
}

// Get returns the webhook of the workspace.
func (s *Store) Get(_ context.Context, wid, id string) (webhook.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(wid, id)
}

func (s *Store) get(wid, id string) (webhook.Webhook, error) {
	w, ok := s.hooks[id]
	if !ok || w.WorkspaceID != wid {
		return webhook.Webhook{}, webhook.ErrNotFound
	}
	return w.Clone(), nil
}

// List returns the workspace's webhooks after afterID, by id.
func (s *Store) List(_ context.Context, wid, afterID string, limit int) ([]webhook.Webhook, error) {
	return s.filter(func(w webhook.Webhook) bool { return w.WorkspaceID == wid }, afterID, limit), nil
}

// Active returns active webhooks of every workspace after afterID, by id.
func (s *Store) Active(_ context.Context, afterID string, limit int) ([]webhook.Webhook, error) {
	return s.filter(func(w webhook.Webhook) bool { return w.Active }, afterID, limit), nil
}

func (s *Store) filter(keep func(webhook.Webhook) bool, afterID string, limit int) []webhook.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []webhook.Webhook
	for _, w := range s.hooks {
		if keep(w) && w.ID > afterID {
			out = append(out, w.Clone())
		}
	}
	slices.SortFunc(out, func(a, b webhook.Webhook) int { return strings.Compare(a.ID, b.ID) })
	return out[:min(len(out), max(limit, 0))]
}

// Count counts the workspace's webhooks.
func (s *Store) Count(_ context.Context, wid string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, w := range s.hooks {
		if w.WorkspaceID == wid {
			n++
		}
	}
	return n, nil
}

// Update is the compare-and-set of platform/versioned, under the store's lock.
func (s *Store) Update(_ context.Context, wid, id string, change func(*webhook.Webhook) (bool, error)) (webhook.Webhook, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return versioned.Update(versioned.Store[webhook.Webhook]{
		Load: func() (webhook.Webhook, error) { return s.get(wid, id) },
		Replace: func(loaded, next webhook.Webhook) (bool, error) {
			if s.hooks[id].Version != loaded.Version {
				return false, nil
			}
			s.hooks[id] = next.Clone()
			return true, nil
		},
		Conflict: webhook.ErrConflict,
	}, change)
}

// Delete removes the webhook and its attempts.
func (s *Store) Delete(_ context.Context, wid, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get(wid, id); err != nil {
		return err
	}
	delete(s.hooks, id)
	for k, a := range s.attempts {
		if a.WebhookID == id {
			delete(s.attempts, k)
		}
	}
	return nil
}

// DeleteWorkspace removes the workspace's webhooks and their attempts.
func (s *Store) DeleteWorkspace(_ context.Context, wid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.hooks {
		if w.WorkspaceID == wid {
			delete(s.hooks, id)
		}
	}
	for k, a := range s.attempts {
		if a.WorkspaceID == wid {
			delete(s.attempts, k)
		}
	}
	return nil
}

// AddAttempt records an attempt.
func (s *Store) AddAttempt(_ context.Context, a webhook.Attempt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[a.WebhookID+"/"+a.Key()] = a
	return nil
}

// Attempts returns the webhook's attempts newest first.
func (s *Store) Attempts(_ context.Context, webhookID string, q webhook.AttemptQuery) ([]webhook.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []webhook.Attempt
	for _, a := range s.attempts {
		if a.WebhookID == webhookID && (q.BeforeKey == "" || a.Key() < q.BeforeKey) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b webhook.Attempt) int { return strings.Compare(b.Key(), a.Key()) })
	return out[:min(len(out), max(q.Limit, 0))], nil
}

// LastAttempt returns the newest attempt of a delivery.
func (s *Store) LastAttempt(_ context.Context, webhookID, deliveryID string) (webhook.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last webhook.Attempt
	found := false
	for _, a := range s.attempts {
		if a.WebhookID == webhookID && a.DeliveryID == deliveryID && (!found || a.Attempt > last.Attempt) {
			last, found = a, true
		}
	}
	if !found {
		return webhook.Attempt{}, webhook.ErrDeliveryNotFound
	}
	return last, nil
}

// PruneAttempts deletes attempts made before t.
func (s *Store) PruneAttempts(_ context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, a := range s.attempts {
		if a.At.Before(before) {
			delete(s.attempts, k)
		}
	}
	return nil
}
