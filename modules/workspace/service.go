package workspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/page"
)

// DefaultInvitationTTL is how long an invitation stays acceptable unless configured otherwise.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Service holds the workspace use cases.
type Service struct {
	repo          Repository
	az            *Authorizer
	users         UserDirectory
	events        events.Publisher
	clock         clock.Clock
	log           *slog.Logger
	invitationTTL time.Duration
	purger        ContentPurger
}

// Deps are the Service's dependencies; every field is required.
type Deps struct {
	Repo          Repository
	Users         UserDirectory
	Events        events.Publisher
	Clock         clock.Clock
	Log           *slog.Logger
	InvitationTTL time.Duration
	// Purger removes a deleted workspace's content in the other modules (optional: NoPurge).
	Purger ContentPurger
	// Keys answers for API keys' actors (optional: NoKeys).
	Keys KeyGrants
}

// NewService returns the workspace use cases.
func NewService(d Deps) (*Service, error) {
	if d.Repo == nil || d.Users == nil || d.Events == nil || d.Clock == nil || d.Log == nil {
		return nil, errors.New("workspace: all dependencies are required")
	}
	if d.InvitationTTL <= 0 {
		return nil, errors.New("workspace: invitation lifetime must be positive")
	}
	if d.Purger == nil {
		d.Purger = NoPurge{}
	}
	if d.Keys == nil {
		d.Keys = NoKeys{}
	}
	return &Service{repo: d.Repo, az: &Authorizer{repo: d.Repo, keys: d.Keys}, users: d.Users, events: d.Events, clock: d.Clock, log: d.Log,
		invitationTTL: d.InvitationTTL, purger: d.Purger}, nil
}

// Authorize answers "may user U do action A in workspace W?" (see Authorizer).
func (s *Service) Authorize(ctx context.Context, workspaceID, userID string, action authz.Action) error {
	return s.az.Authorize(ctx, workspaceID, userID, action)
}

// RoleOf returns the user's role in the workspace, or ErrWorkspaceNotFound for a non-member.
func (s *Service) RoleOf(ctx context.Context, workspaceID, userID string) (Role, error) {
	m, err := s.az.membership(ctx, workspaceID, userID)
	return m.Role, err
}

// IsMember reports whether the user belongs to the workspace.
func (s *Service) IsMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	return s.az.IsMember(ctx, workspaceID, userID)
}

// MemberCount counts a workspace's active members; the caller authorizes.
func (s *Service) MemberCount(ctx context.Context, workspaceID string) (int, error) {
	return s.repo.CountMembers(ctx, workspaceID)
}

func (s *Service) membership(ctx context.Context, workspaceID, userID string) (Membership, error) {
	return s.az.membership(ctx, workspaceID, userID)
}

func (s *Service) authorize(ctx context.Context, workspaceID, userID string, action authz.Action) (Membership, error) {
	return s.az.authorize(ctx, workspaceID, userID, action)
}

// publish announces c in workspaceID, made by actorID now.
func (s *Service) publish(ctx context.Context, c events.Change, workspaceID, actorID string) {
	s.events.Publish(ctx, c.Event(workspaceID, actorID, s.clock.Now()))
}

// View is a workspace as seen by one member.
type View struct {
	Workspace
	Role Role
}

// Create makes a workspace whose creator is its first owner.
func (s *Service) Create(ctx context.Context, actorID, name string) (View, error) {
	name, msg := normalizeName(name)
	if msg != "" {
		return View{}, apperr.Validation(apperr.FieldError{Field: "name", Message: msg})
	}
	now := s.clock.Now()
	w := Workspace{ID: ids.New(), Name: name, CreatedBy: actorID, CreatedAt: now, UpdatedAt: now, OwnerCount: 1}
	owner := Membership{WorkspaceID: w.ID, UserID: actorID, Role: Owner, JoinedAt: now}
	if err := s.repo.CreateWorkspace(ctx, w, owner); err != nil {
		return View{}, fmt.Errorf("create workspace: %w", err)
	}
	s.publish(ctx, events.NewWorkspaceCreated(w.ID, w.Name), w.ID, actorID)
	return View{Workspace: w, Role: Owner}, nil
}

// Get returns a workspace the actor is a member of.
func (s *Service) Get(ctx context.Context, actorID, workspaceID string) (View, error) {
	m, err := s.authorize(ctx, workspaceID, actorID, authz.WorkspaceRead)
	if err != nil {
		return View{}, err
	}
	w, err := s.repo.Workspace(ctx, workspaceID)
	if err != nil {
		return View{}, fmt.Errorf("load workspace: %w", err)
	}
	return View{Workspace: w, Role: m.Role}, nil
}

// List returns the workspaces the actor is a member of, by id, one page at a time.
func (s *Service) List(ctx context.Context, actorID, cursor string, limit int) (page.Page[View], error) {
	after, err := page.DecodeCursor(cursor, 1)
	if err != nil {
		return page.Page[View]{}, err
	}
	ms, err := s.repo.MembershipsOf(ctx, actorID, after[0], limit+1)
	if err != nil {
		return page.Page[View]{}, fmt.Errorf("list memberships: %w", err)
	}
	var out page.Page[View]
	if len(ms) > limit {
		ms = ms[:limit]
		out.NextCursor = page.EncodeCursor(ms[len(ms)-1].WorkspaceID)
	}
	wids := make([]string, len(ms))
	for i, m := range ms {
		wids[i] = m.WorkspaceID
	}
	ws, err := s.repo.WorkspacesByIDs(ctx, wids)
	if err != nil {
		return page.Page[View]{}, fmt.Errorf("load workspaces: %w", err)
	}
	byID := make(map[string]Workspace, len(ws))
	for _, w := range ws {
		byID[w.ID] = w
	}
	out.Items = make([]View, 0, len(ms))
	for _, m := range ms {
		// A membership whose workspace is gone is a leftover of an interrupted delete: skip it.
		if w, ok := byID[m.WorkspaceID]; ok {
			out.Items = append(out.Items, View{Workspace: w, Role: m.Role})
		}
	}
	return out, nil
}

// Rename changes a workspace's name.
func (s *Service) Rename(ctx context.Context, actorID, workspaceID, name string) (View, error) {
	m, err := s.authorize(ctx, workspaceID, actorID, authz.WorkspaceUpdate)
	if err != nil {
		return View{}, err
	}
	name, msg := normalizeName(name)
	if msg != "" {
		return View{}, apperr.Validation(apperr.FieldError{Field: "name", Message: msg})
	}
	w, err := s.repo.RenameWorkspace(ctx, workspaceID, name, s.clock.Now())
	if err != nil {
		return View{}, fmt.Errorf("rename workspace: %w", err)
	}
	s.publish(ctx, events.NewWorkspaceUpdated(w.ID, w.Name), w.ID, actorID)
	return View{Workspace: w, Role: m.Role}, nil
}

// Delete removes a workspace with its memberships and invitations.
func (s *Service) Delete(ctx context.Context, actorID, workspaceID string) error {
	if _, err := s.authorize(ctx, workspaceID, actorID, authz.WorkspaceDelete); err != nil {
		return err
	}
	if err := s.repo.DeleteWorkspace(ctx, workspaceID); err != nil {
		return fmt.Errorf("delete workspace: %w", err)
	}
	s.publish(ctx, events.NewWorkspaceDeleted(workspaceID), workspaceID, actorID)
	// The workspace is gone for everyone from here (no membership, no access): its content goes
	// too. A failure leaves it unreachable, is logged, and does not undo the deletion.
	if err := s.purger.PurgeWorkspace(context.WithoutCancel(ctx), workspaceID); err != nil {
		s.log.ErrorContext(ctx, "workspace deleted but some of its content remains",
			slog.String("workspace_id", workspaceID), slog.Any("error", err))
	}
	return nil
}
