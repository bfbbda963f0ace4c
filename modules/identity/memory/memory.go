// Package memory is an in-memory identity.Repository for unit tests and as the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"context"
	"sync"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// Users is a goroutine-safe in-memory user store.
type Users struct {
	mu      sync.Mutex
	byID    map[string]identity.User
	byEmail map[string]string
}

// NewUsers returns an empty store.
func NewUsers() *Users {
	return &Users{byID: map[string]identity.User{}, byEmail: map[string]string{}}
}

// Create stores u unless its email is taken.
func (s *Users) Create(_ context.Context, u identity.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byEmail[u.Email]; ok {
		return identity.ErrEmailTaken
	}
	s.byID[u.ID] = u
	s.byEmail[u.Email] = u.ID
	return nil
}

// ByID returns the user with id.
func (s *Users) ByID(_ context.Context, id string) (identity.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byID[id]
	if !ok {
		return identity.User{}, identity.ErrUserNotFound
	}
	return u, nil
}

// ByEmail returns the user with email.
func (s *Users) ByEmail(ctx context.Context, email string) (identity.User, error) {
	s.mu.Lock()
	id, ok := s.byEmail[email]
	s.mu.Unlock()
	if !ok {
		return identity.User{}, identity.ErrUserNotFound
	}
	return s.ByID(ctx, id)
}

// RevokeTokens raises the user's token generation and sets the password hash when one is given.
func (s *Users) RevokeTokens(_ context.Context, id, passwordHash string) (identity.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byID[id]
	if !ok {
		return identity.User{}, identity.ErrUserNotFound
	}
	u.TokenGeneration++
	if passwordHash != "" {
		u.PasswordHash = passwordHash
	}
	s.byID[id] = u
	return u, nil
}

// ByIDs returns the users that exist among ids.
func (s *Users) ByIDs(_ context.Context, ids []string) ([]identity.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []identity.User
	seen := map[string]bool{}
	for _, id := range ids {
		if u, ok := s.byID[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, u)
		}
	}
	return out, nil
}
