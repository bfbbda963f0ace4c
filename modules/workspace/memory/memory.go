// Package memory is an in-memory workspace.Repository for unit tests and the reference
// implementation the repository contract suite is checked against.
package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/workspace"
)

// Store is a goroutine-safe in-memory workspace repository.
type Store struct {
	mu          sync.Mutex
	workspaces  map[string]workspace.Workspace
	members     map[[2]string]workspace.Membership // {workspaceID, userID}
	invitations map[string]workspace.Invitation
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		workspaces:  map[string]workspace.Workspace{},
		members:     map[[2]string]workspace.Membership{},
		invitations: map[string]workspace.Invitation{},
	}
}

var _ workspace.Repository = (*Store)(nil)

// CreateWorkspace stores w and its owner.
func (s *Store) CreateWorkspace(_ context.Context, w workspace.Workspace, owner workspace.Membership) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workspaces[w.ID] = w
	s.members[[2]string{owner.WorkspaceID, owner.UserID}] = owner
	return nil
}

// Workspace returns one workspace.
func (s *Store) Workspace(_ context.Context, id string) (workspace.Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.workspaces[id]
	if !ok {
		return workspace.Workspace{}, workspace.ErrWorkspaceNotFound
	}
	return w, nil
}

// WorkspacesByIDs returns the workspaces that exist among ids.
func (s *Store) WorkspacesByIDs(_ context.Context, ids []string) ([]workspace.Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workspace.Workspace
	for _, id := range ids {
		if w, ok := s.workspaces[id]; ok {
			out = append(out, w)
		}
	}
	return out, nil
}

// RenameWorkspace renames one workspace.
func (s *Store) RenameWorkspace(_ context.Context, id, name string, at time.Time) (workspace.Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.workspaces[id]
	if !ok {
		return workspace.Workspace{}, workspace.ErrWorkspaceNotFound
	}
	w.Name, w.UpdatedAt = name, at
	s.workspaces[id] = w
	return w, nil
}

// DeleteWorkspace removes a workspace and everything in it.
func (s *Store) DeleteWorkspace(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.workspaces[id]; !ok {
		return workspace.ErrWorkspaceNotFound
	}
	delete(s.workspaces, id)
	for k := range s.members {
		if k[0] == id {
			delete(s.members, k)
		}
	}
	for k, inv := range s.invitations {
		if inv.WorkspaceID == id {
			delete(s.invitations, k)
		}
	}
	return nil
}

// AddOwners adjusts the owner count, never below one.
func (s *Store) AddOwners(_ context.Context, id string, delta int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.workspaces[id]
	if !ok {
		return workspace.ErrWorkspaceNotFound
	}
	if delta < 0 && w.OwnerCount+delta < 1 {
		return workspace.ErrLastOwner
	}
	w.OwnerCount += delta
	s.workspaces[id] = w
	return nil
}

// AddMember stores a membership.
func (s *Store) AddMember(_ context.Context, m workspace.Membership) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.workspaces[m.WorkspaceID]; !ok {
		return workspace.ErrWorkspaceNotFound
	}
	k := [2]string{m.WorkspaceID, m.UserID}
	if _, ok := s.members[k]; ok {
		return workspace.ErrAlreadyMember
	}
	s.members[k] = m
	return nil
}

// Member returns one membership.
func (s *Store) Member(_ context.Context, wid, uid string) (workspace.Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[[2]string{wid, uid}]
	if !ok {
		return workspace.Membership{}, workspace.ErrMemberNotFound
	}
	return m, nil
}

// SetRole changes a role if it is still `from`.
func (s *Store) SetRole(_ context.Context, wid, uid string, from, to workspace.Role) (workspace.Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{wid, uid}
	m, ok := s.members[k]
	switch {
	case !ok:
		return workspace.Membership{}, workspace.ErrMemberNotFound
	case m.Role != from:
		return workspace.Membership{}, workspace.ErrConcurrentUpdate
	}
	m.Role = to
	s.members[k] = m
	return m, nil
}

// RemoveMember deletes a membership if its role is still `role`.
func (s *Store) RemoveMember(_ context.Context, wid, uid string, role workspace.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{wid, uid}
	m, ok := s.members[k]
	switch {
	case !ok:
		return workspace.ErrMemberNotFound
	case m.Role != role:
		return workspace.ErrConcurrentUpdate
	}
	delete(s.members, k)
	return nil
}

// Members lists a workspace's memberships by user id.
func (s *Store) Members(_ context.Context, wid, after string, limit int) ([]workspace.Membership, error) {
	return s.listMembers(func(m workspace.Membership) (string, bool) { return m.UserID, m.WorkspaceID == wid }, after, limit), nil
}

// CountMembers counts a workspace's memberships.
func (s *Store) CountMembers(_ context.Context, wid string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k := range s.members {
		if k[0] == wid {
			n++
		}
	}
	return n, nil
}

// MembershipsOf lists a user's memberships by workspace id.
func (s *Store) MembershipsOf(_ context.Context, uid, after string, limit int) ([]workspace.Membership, error) {
	return s.listMembers(func(m workspace.Membership) (string, bool) { return m.WorkspaceID, m.UserID == uid }, after, limit), nil
}

func (s *Store) listMembers(match func(workspace.Membership) (string, bool), after string, limit int) []workspace.Membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workspace.Membership
	for _, m := range s.members {
		if key, ok := match(m); ok && key > after {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b workspace.Membership) int {
		ka, _ := match(a)
		kb, _ := match(b)
		return strings.Compare(ka, kb)
	})
	return out[:min(limit, len(out))]
}

// CreateInvitation stores an invitation unless one exists for the workspace and email.
func (s *Store) CreateInvitation(_ context.Context, inv workspace.Invitation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.workspaces[inv.WorkspaceID]; !ok {
		return workspace.ErrWorkspaceNotFound
	}
	for _, other := range s.invitations {
		if other.WorkspaceID == inv.WorkspaceID && other.Email == inv.Email {
			return workspace.ErrAlreadyInvited
		}
	}
	s.invitations[inv.ID] = inv
	return nil
}

// PendingInvitations lists a workspace's unexpired invitations by id.
func (s *Store) PendingInvitations(_ context.Context, wid, after string, now time.Time, limit int) ([]workspace.Invitation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workspace.Invitation
	for _, inv := range s.invitations {
		if inv.WorkspaceID == wid && inv.ID > after && !inv.Expired(now) {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b workspace.Invitation) int { return strings.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

// InvitationsFor lists every invitation for an email.
func (s *Store) InvitationsFor(_ context.Context, email string) ([]workspace.Invitation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workspace.Invitation
	for _, inv := range s.invitations {
		if inv.Email == email {
			out = append(out, inv)
		}
	}
	return out, nil
}

// DeleteInvitation removes one invitation.
func (s *Store) DeleteInvitation(_ context.Context, wid, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invitations[id]
	if !ok || inv.WorkspaceID != wid {
		return workspace.ErrInvitationNotFound
	}
	delete(s.invitations, id)
	return nil
}

// DeleteExpiredInvitation removes the workspace's invitation for email if it has expired.
func (s *Store) DeleteExpiredInvitation(_ context.Context, wid, email string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, inv := range s.invitations {
		if inv.WorkspaceID == wid && inv.Email == email && inv.Expired(now) {
			delete(s.invitations, id)
		}
	}
	return nil
}
