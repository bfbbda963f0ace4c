package workspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/email"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/page"
)

// MemberStatus tells a membership from a pending invitation in member lists.
type MemberStatus string

// The statuses.
const (
	Active  MemberStatus = "ACTIVE"
	Invited MemberStatus = "INVITED"
)

// MemberView is one row of a workspace's member list: an active member (UserID set) or a
// pending invitation (InvitationID and ExpiresAt set).
type MemberView struct {
	UserID       string
	InvitationID string
	Email        string
	DisplayName  string
	Role         Role
	Status       MemberStatus
	JoinedAt     time.Time
	ExpiresAt    time.Time
}

// Cursor phases: the member list pages through memberships first, then pending invitations.
const (
	phaseMembers     = "m"
	phaseInvitations = "i"
)

// Members lists a workspace's active members (by user id) followed by its pending invitations.
func (s *Service) Members(ctx context.Context, actorID, workspaceID, cursor string, limit int) (page.Page[MemberView], error) {
	if _, err := s.authorize(ctx, workspaceID, actorID, authz.WorkspaceRead); err != nil {
		return page.Page[MemberView]{}, err
	}
	c, err := page.DecodeCursor(cursor, 2)
	if err != nil {
		return page.Page[MemberView]{}, err
	}
	phase, after := c[0], c[1]
	if phase == "" {
		phase = phaseMembers
	}
	if phase != phaseMembers && phase != phaseInvitations {
		return page.Page[MemberView]{}, page.ErrBadCursor
	}
	var out page.Page[MemberView]
	if phase == phaseMembers {
		ms, err := s.repo.Members(ctx, workspaceID, after, limit+1)
		if err != nil {
			return out, fmt.Errorf("list members: %w", err)
		}
		if len(ms) > limit {
			ms = ms[:limit]
			out.NextCursor = page.EncodeCursor(phaseMembers, ms[len(ms)-1].UserID)
		}
		if out.Items, err = s.memberViews(ctx, ms); err != nil {
			return out, err
		}
		if out.NextCursor != "" {
			return out, nil
		}
		phase, after = phaseInvitations, ""
	}
	room := limit - len(out.Items)
	invs, err := s.repo.PendingInvitations(ctx, workspaceID, after, s.clock.Now(), room+1)
	if err != nil {
		return out, fmt.Errorf("list invitations: %w", err)
	}
	if len(invs) > room {
		invs = invs[:room]
		last := after
		if room > 0 {
			last = invs[room-1].ID
		}
		out.NextCursor = page.EncodeCursor(phaseInvitations, last)
	}
	for _, inv := range invs {
		out.Items = append(out.Items, invitationView(inv))
	}
	return out, nil
}

func (s *Service) memberViews(ctx context.Context, ms []Membership) ([]MemberView, error) {
	uids := make([]string, len(ms))
	for i, m := range ms {
		uids[i] = m.UserID
	}
	users, err := s.users.UsersByIDs(ctx, uids)
	if err != nil {
		return nil, fmt.Errorf("look up users: %w", err)
	}
	byID := make(map[string]UserInfo, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	views := make([]MemberView, len(ms))
	for i, m := range ms {
		views[i] = memberView(m, byID[m.UserID])
	}
	return views, nil
}

func memberView(m Membership, u UserInfo) MemberView {
	return MemberView{UserID: m.UserID, Email: u.Email, DisplayName: u.DisplayName, Role: m.Role, Status: Active, JoinedAt: m.JoinedAt}
}

func invitationView(inv Invitation) MemberView {
	return MemberView{InvitationID: inv.ID, Email: inv.Email, Role: inv.Role, Status: Invited, ExpiresAt: inv.ExpiresAt}
}

// InviteInput names who to invite and with which role.
type InviteInput struct {
	Email string
	Role  string
}

// Invite adds a registered user as a member at once, or records a pending invitation for an
// email that has no account yet.
func (s *Service) Invite(ctx context.Context, actorID, workspaceID string, in InviteInput) (MemberView, error) {
	actor, err := s.authorize(ctx, workspaceID, actorID, authz.MemberManage)
	if err != nil {
		return MemberView{}, err
	}
	var fields apperr.Fields
	addr := email.Normalize(in.Email)
	if msg := email.Problem(addr); msg != "" {
		fields.Add("email", msg)
	}
	role, rerr := ParseRole(in.Role)
	if rerr != nil {
		fields.Add("role", "must be one of OWNER, ADMIN, MEMBER, VIEWER")
	}
	if err := fields.Err(); err != nil {
		return MemberView{}, err
	}
	if !canGrant(actor.Role, role) {
		return MemberView{}, ErrRankTooLow
	}
	u, found, err := s.users.UserByEmail(ctx, addr)
	if err != nil {
		return MemberView{}, fmt.Errorf("look up invitee: %w", err)
	}
	now := s.clock.Now()
	if found {
		m := Membership{WorkspaceID: workspaceID, UserID: u.ID, Role: role, JoinedAt: now}
		if err := s.addMember(ctx, m); err != nil {
			return MemberView{}, err
		}
		s.publish(ctx, events.NewMemberInvited(u.ID, string(role), string(Active)), workspaceID, actorID)
		return memberView(m, u), nil
	}
	if err := s.repo.DeleteExpiredInvitation(ctx, workspaceID, addr, now); err != nil {
		return MemberView{}, fmt.Errorf("clear expired invitation: %w", err)
	}
	inv := Invitation{
		ID: ids.New(), WorkspaceID: workspaceID, Email: addr, Role: role, InvitedBy: actorID,
		CreatedAt: now, ExpiresAt: now.Add(s.invitationTTL),
	}
	if err := s.repo.CreateInvitation(ctx, inv); err != nil {
		return MemberView{}, fmt.Errorf("create invitation: %w", err)
	}
	s.publish(ctx, events.NewMemberInvitedByEmail(inv.ID, string(role), string(Invited)), workspaceID, actorID)
	return invitationView(inv), nil
}

// addMember stores a membership, counting a new owner only once the membership exists (see
// Workspace.OwnerCount).
func (s *Service) addMember(ctx context.Context, m Membership) error {
	if err := s.repo.AddMember(ctx, m); err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	if m.Role == Owner {
		if err := s.repo.AddOwners(ctx, m.WorkspaceID, 1); err != nil {
			return fmt.Errorf("count new owner: %w", err)
		}
	}
	return nil
}

// ChangeRole gives a member another role.
func (s *Service) ChangeRole(ctx context.Context, actorID, workspaceID, userID, roleName string) (MemberView, error) {
	actor, err := s.authorize(ctx, workspaceID, actorID, authz.MemberManage)
	if err != nil {
		return MemberView{}, err
	}
	role, err := ParseRole(roleName)
	if err != nil {
		return MemberView{}, err
	}
	if userID == actorID {
		return MemberView{}, ErrOwnRole
	}
	target, err := s.repo.Member(ctx, workspaceID, userID)
	if err != nil {
		return MemberView{}, fmt.Errorf("load member: %w", err)
	}
	if !canManage(actor.Role, target.Role) || !canGrant(actor.Role, role) {
		return MemberView{}, ErrRankTooLow
	}
	updated := target
	if role != target.Role {
		if updated, err = s.setRole(ctx, target, role); err != nil {
			return MemberView{}, err
		}
		s.publish(ctx, events.NewMemberUpdated(userID, string(role), string(target.Role)), workspaceID, actorID)
	}
	users, err := s.users.UsersByIDs(ctx, []string{userID})
	if err != nil || len(users) == 0 {
		// Names only decorate the answer; the change is done, so do not report it as failed.
		return memberView(updated, UserInfo{ID: userID}), nil
	}
	return memberView(updated, users[0]), nil
}

// setRole applies a role change, keeping OwnerCount a lower bound of the owners.
func (s *Service) setRole(ctx context.Context, m Membership, role Role) (Membership, error) {
	demotesOwner := m.Role == Owner
	if demotesOwner {
		if err := s.repo.AddOwners(ctx, m.WorkspaceID, -1); err != nil {
			return Membership{}, err
		}
	}
	updated, err := s.repo.SetRole(ctx, m.WorkspaceID, m.UserID, m.Role, role)
	if err != nil {
		if demotesOwner {
			s.restoreOwner(ctx, m.WorkspaceID)
		}
		return Membership{}, fmt.Errorf("set role: %w", err)
	}
	if role == Owner {
		if err := s.repo.AddOwners(ctx, m.WorkspaceID, 1); err != nil {
			return Membership{}, fmt.Errorf("count new owner: %w", err)
		}
	}
	return updated, nil
}

func (s *Service) restoreOwner(ctx context.Context, workspaceID string) {
	if err := s.repo.AddOwners(ctx, workspaceID, 1); err != nil {
		// The count stays one low: safe (it only refuses demotions), so log and move on.
		s.log.ErrorContext(ctx, "restore owner count", slog.String("workspace_id", workspaceID), slog.Any("error", err))
	}
}

// RemoveMember removes a member, or lets the actor leave when userID is their own.
func (s *Service) RemoveMember(ctx context.Context, actorID, workspaceID, userID string) error {
	actor, err := s.membership(ctx, workspaceID, actorID)
	if err != nil {
		return err
	}
	target := actor
	if userID != actorID {
		if !actor.Role.Can(authz.MemberManage) {
			return ErrForbidden
		}
		if target, err = s.repo.Member(ctx, workspaceID, userID); err != nil {
			return fmt.Errorf("load member: %w", err)
		}
		if !canManage(actor.Role, target.Role) {
			return ErrRankTooLow
		}
	}
	if target.Role == Owner {
		if err := s.repo.AddOwners(ctx, workspaceID, -1); err != nil {
			return err
		}
	}
	if err := s.repo.RemoveMember(ctx, workspaceID, userID, target.Role); err != nil {
		if target.Role == Owner {
			s.restoreOwner(ctx, workspaceID)
		}
		return fmt.Errorf("remove member: %w", err)
	}
	s.publish(ctx, events.NewMemberRemoved(userID, string(target.Role), userID == actorID), workspaceID, actorID)
	return nil
}

// RevokeInvitation withdraws a pending invitation.
func (s *Service) RevokeInvitation(ctx context.Context, actorID, workspaceID, invitationID string) error {
	if _, err := s.authorize(ctx, workspaceID, actorID, authz.MemberManage); err != nil {
		return err
	}
	if err := s.repo.DeleteInvitation(ctx, workspaceID, invitationID); err != nil {
		return fmt.Errorf("revoke invitation: %w", err)
	}
	s.publish(ctx, events.NewInvitationRevoked(invitationID), workspaceID, actorID)
	return nil
}

// UserRegistered turns the pending, unexpired invitations for a new user's email into
// memberships; expired ones are deleted. It implements identity's RegistrationListener.
func (s *Service) UserRegistered(ctx context.Context, userID, addr string) error {
	invs, err := s.repo.InvitationsFor(ctx, email.Normalize(addr))
	if err != nil {
		return fmt.Errorf("find invitations: %w", err)
	}
	now := s.clock.Now()
	var errs []error
	for _, inv := range invs {
		if !inv.Expired(now) {
			m := Membership{WorkspaceID: inv.WorkspaceID, UserID: userID, Role: inv.Role, JoinedAt: now}
			err := s.addMember(ctx, m)
			if err != nil && !errors.Is(err, ErrAlreadyMember) && !errors.Is(err, ErrWorkspaceNotFound) {
				errs = append(errs, err)
				continue // keep the invitation so the membership can still be created later
			}
			if err == nil {
				s.publish(ctx, events.NewMemberJoined(userID, string(inv.Role), inv.ID), inv.WorkspaceID, userID)
			}
		}
		if err := s.repo.DeleteInvitation(ctx, inv.WorkspaceID, inv.ID); err != nil && !errors.Is(err, ErrInvitationNotFound) {
			errs = append(errs, fmt.Errorf("delete accepted invitation: %w", err))
		}
	}
	return errors.Join(errs...)
}
