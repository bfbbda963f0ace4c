package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/workspaceops/workspaceops/modules/workspace"
)

// Workspaces is the workspace.Repository: tables workspaces, memberships and invitations.
type Workspaces struct{ db *DB }

var _ workspace.Repository = (*Workspaces)(nil)

// NewWorkspaces returns the workspace repository on db.
func NewWorkspaces(db *DB) *Workspaces { return &Workspaces{db: db} }

const workspaceColumns = "id, name, created_by, created_at, updated_at, owner_count"

func scanWorkspace(row interface{ Scan(...any) error }) (workspace.Workspace, error) {
	var w workspace.Workspace
	var created, updated int64
	if err := row.Scan(&w.ID, &w.Name, &w.CreatedBy, &created, &updated, &w.OwnerCount); err != nil {
		return workspace.Workspace{}, err
	}
	w.CreatedAt, w.UpdatedAt = fromMs(created), fromMs(updated)
	return w, nil
}

// CreateWorkspace stores the workspace and its first owner's membership in one transaction.
func (r *Workspaces) CreateWorkspace(ctx context.Context, w workspace.Workspace, owner workspace.Membership) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := r.db.exec(ctx, tx, "INSERT INTO workspaces ("+workspaceColumns+") VALUES (?, ?, ?, ?, ?, ?)",
			w.ID, w.Name, w.CreatedBy, ms(w.CreatedAt), ms(w.UpdatedAt), w.OwnerCount); err != nil {
			return storeError("sqlite: insert workspace: %w", err)
		}
		if err := r.addMember(ctx, tx, owner); err != nil {
			return storeError("sqlite: create workspace owner: %w", err)
		}
		return nil
	})
}

// Workspace returns the workspace or ErrWorkspaceNotFound.
func (r *Workspaces) Workspace(ctx context.Context, id string) (workspace.Workspace, error) {
	w, err := scanWorkspace(r.db.queryRow(ctx, r.db.r, "SELECT "+workspaceColumns+" FROM workspaces WHERE id = ?", id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return workspace.Workspace{}, workspace.ErrWorkspaceNotFound
	case err != nil:
		return workspace.Workspace{}, storeError("sqlite: find workspace: %w", err)
	}
	return w, nil
}

// WorkspacesByIDs returns the workspaces that exist among ids, in no particular order.
func (r *Workspaces) WorkspacesByIDs(ctx context.Context, ids []string) ([]workspace.Workspace, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := jsonList(ids)
	if err != nil {
		return nil, err
	}
	var out []workspace.Workspace
	err = r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		w, err := scanWorkspace(rows)
		out = append(out, w)
		return err
	}, "SELECT "+workspaceColumns+" FROM workspaces WHERE id IN (SELECT value FROM json_each(?))", list)
	if err != nil {
		return nil, storeError("sqlite: find workspaces by ids: %w", err)
	}
	return out, nil
}

// RenameWorkspace sets the name and update time in one statement that returns the result.
func (r *Workspaces) RenameWorkspace(ctx context.Context, id, name string, at time.Time) (workspace.Workspace, error) {
	w, err := scanWorkspace(r.db.queryRow(ctx, r.db.w,
		"UPDATE workspaces SET name = ?, updated_at = ? WHERE id = ? RETURNING "+workspaceColumns, name, ms(at), id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return workspace.Workspace{}, workspace.ErrWorkspaceNotFound
	case err != nil:
		return workspace.Workspace{}, storeError("sqlite: rename workspace: %w", err)
	}
	return w, nil
}

// DeleteWorkspace removes the workspace, its memberships and its invitations in one transaction.
func (r *Workspaces) DeleteWorkspace(ctx context.Context, id string) error {
	var deleted int64
	err := r.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := r.db.exec(ctx, tx, "DELETE FROM workspaces WHERE id = ?", id)
		if err != nil {
			return storeError("sqlite: delete workspace: %w", err)
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err := r.db.exec(ctx, tx, "DELETE FROM memberships WHERE workspace_id = ?", id); err != nil {
			return storeError("sqlite: delete memberships of workspace: %w", err)
		}
		if _, err := r.db.exec(ctx, tx, "DELETE FROM invitations WHERE workspace_id = ?", id); err != nil {
			return storeError("sqlite: delete invitations of workspace: %w", err)
		}
		return nil
	})
	if err == nil && deleted == 0 {
		return workspace.ErrWorkspaceNotFound
	}
	return err
}

// AddOwners adds delta to owner_count in one conditional statement: a negative delta applies
// only while at least 1-delta owners are counted, so the count never goes below one.
func (r *Workspaces) AddOwners(ctx context.Context, workspaceID string, delta int) error {
	least := 1 - delta
	if delta >= 0 {
		least = 0
	}
	res, err := r.db.exec(ctx, r.db.w,
		"UPDATE workspaces SET owner_count = owner_count + ? WHERE id = ? AND owner_count >= ?", delta, workspaceID, least)
	if err != nil {
		return storeError("sqlite: add %d owners: %w", delta, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := r.Workspace(ctx, workspaceID); err != nil {
		return err // ErrWorkspaceNotFound, or a wrapped read error
	}
	return workspace.ErrLastOwner
}

const membershipColumns = "workspace_id, user_id, role, joined_at"

func scanMembership(row interface{ Scan(...any) error }) (workspace.Membership, error) {
	var m workspace.Membership
	var role string
	var joined int64
	if err := row.Scan(&m.WorkspaceID, &m.UserID, &role, &joined); err != nil {
		return workspace.Membership{}, err
	}
	m.Role, m.JoinedAt = workspace.Role(role), fromMs(joined)
	return m, nil
}

// AddMember stores m; the primary key turns a second membership into ErrAlreadyMember.
func (r *Workspaces) AddMember(ctx context.Context, m workspace.Membership) error {
	return r.addMember(ctx, r.db.w, m)
}

// addMember inserts the membership only while its workspace exists, in one statement: the
// database has one writer, so a DeleteWorkspace either ran before (nothing inserted) or runs
// after (and deletes it).
func (r *Workspaces) addMember(ctx context.Context, q querier, m workspace.Membership) error {
	res, err := r.db.exec(ctx, q, "INSERT INTO memberships ("+membershipColumns+") SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)",
		m.WorkspaceID, m.UserID, string(m.Role), ms(m.JoinedAt), m.WorkspaceID)
	switch {
	case isUnique(err):
		return workspace.ErrAlreadyMember
	case err != nil:
		return storeError("sqlite: insert membership: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, workspace.ErrWorkspaceNotFound)
	}
	return nil
}

// Member returns the membership or ErrMemberNotFound.
func (r *Workspaces) Member(ctx context.Context, workspaceID, userID string) (workspace.Membership, error) {
	m, err := scanMembership(r.db.queryRow(ctx, r.db.r,
		"SELECT "+membershipColumns+" FROM memberships WHERE workspace_id = ? AND user_id = ?", workspaceID, userID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return workspace.Membership{}, workspace.ErrMemberNotFound
	case err != nil:
		return workspace.Membership{}, storeError("sqlite: find membership: %w", err)
	}
	return m, nil
}

// SetRole changes the role only if it is still `from`, in one conditional statement.
func (r *Workspaces) SetRole(ctx context.Context, workspaceID, userID string, from, to workspace.Role) (workspace.Membership, error) {
	m, err := scanMembership(r.db.queryRow(ctx, r.db.w,
		"UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ? AND role = ? RETURNING "+membershipColumns,
		string(to), workspaceID, userID, string(from)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return workspace.Membership{}, r.whyNoMatch(ctx, workspaceID, userID)
	case err != nil:
		return workspace.Membership{}, storeError("sqlite: set member role: %w", err)
	}
	return m, nil
}

// RemoveMember deletes the membership only if its role is still `role`.
func (r *Workspaces) RemoveMember(ctx context.Context, workspaceID, userID string, role workspace.Role) error {
	res, err := r.db.exec(ctx, r.db.w,
		"DELETE FROM memberships WHERE workspace_id = ? AND user_id = ? AND role = ?", workspaceID, userID, string(role))
	if err != nil {
		return storeError("sqlite: remove member: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return r.whyNoMatch(ctx, workspaceID, userID)
}

// whyNoMatch explains a compare-and-set on a membership that matched nothing: it is gone
// (ErrMemberNotFound) or its role changed (ErrConcurrentUpdate).
func (r *Workspaces) whyNoMatch(ctx context.Context, workspaceID, userID string) error {
	if _, err := r.Member(ctx, workspaceID, userID); err != nil {
		return err
	}
	return workspace.ErrConcurrentUpdate
}

// Members lists a workspace's memberships by user id, after afterUserID, at most limit.
func (r *Workspaces) Members(ctx context.Context, workspaceID, afterUserID string, limit int) ([]workspace.Membership, error) {
	ms, err := r.memberships(ctx, "SELECT "+membershipColumns+" FROM memberships WHERE workspace_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
		workspaceID, afterUserID, limit)
	if err != nil {
		return nil, storeError("sqlite: list members of workspace: %w", err)
	}
	return ms, nil
}

// CountMembers counts a workspace's memberships.
func (r *Workspaces) CountMembers(ctx context.Context, workspaceID string) (int, error) {
	var n int
	if err := r.db.queryRow(ctx, r.db.r, "SELECT COUNT(*) FROM memberships WHERE workspace_id = ?", workspaceID).Scan(&n); err != nil {
		return 0, storeError("sqlite: count members: %w", err)
	}
	return n, nil
}

// MembershipsOf lists a user's memberships by workspace id, after afterWorkspaceID, at most limit.
func (r *Workspaces) MembershipsOf(ctx context.Context, userID, afterWorkspaceID string, limit int) ([]workspace.Membership, error) {
	ms, err := r.memberships(ctx, "SELECT "+membershipColumns+" FROM memberships WHERE user_id = ? AND workspace_id > ? ORDER BY workspace_id LIMIT ?",
		userID, afterWorkspaceID, limit)
	if err != nil {
		return nil, storeError("sqlite: list memberships of user: %w", err)
	}
	return ms, nil
}

func (r *Workspaces) memberships(ctx context.Context, query string, key, after string, limit int) ([]workspace.Membership, error) {
	if limit < 1 {
		return nil, nil
	}
	out := []workspace.Membership{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		m, err := scanMembership(rows)
		out = append(out, m)
		return err
	}, query, key, after, limit)
	return out, err
}

const invitationColumns = "id, workspace_id, email, role, invited_by, created_at, expires_at"

func scanInvitation(row interface{ Scan(...any) error }) (workspace.Invitation, error) {
	var inv workspace.Invitation
	var role string
	var created, expires int64
	if err := row.Scan(&inv.ID, &inv.WorkspaceID, &inv.Email, &role, &inv.InvitedBy, &created, &expires); err != nil {
		return workspace.Invitation{}, err
	}
	inv.Role, inv.CreatedAt, inv.ExpiresAt = workspace.Role(role), fromMs(created), fromMs(expires)
	return inv, nil
}

// CreateInvitation stores inv; the unique (workspace, email) turns a second one into
// ErrAlreadyInvited, also when two invites race.
func (r *Workspaces) CreateInvitation(ctx context.Context, inv workspace.Invitation) error {
	res, err := r.db.exec(ctx, r.db.w, "INSERT INTO invitations ("+invitationColumns+") SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)",
		inv.ID, inv.WorkspaceID, inv.Email, string(inv.Role), inv.InvitedBy, ms(inv.CreatedAt), ms(inv.ExpiresAt), inv.WorkspaceID)
	switch {
	case isUnique(err):
		return workspace.ErrAlreadyInvited
	case err != nil:
		return storeError("sqlite: insert invitation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, workspace.ErrWorkspaceNotFound)
	}
	return nil
}

// PendingInvitations lists a workspace's invitations not expired at now, by id, after afterID,
// at most limit.
func (r *Workspaces) PendingInvitations(ctx context.Context, workspaceID, afterID string, now time.Time, limit int) ([]workspace.Invitation, error) {
	if limit < 1 {
		return nil, nil
	}
	invs, err := r.invitations(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE workspace_id = ? AND id > ? AND expires_at > ? ORDER BY id LIMIT ?",
		workspaceID, afterID, ms(now), limit)
	if err != nil {
		return nil, storeError("sqlite: list pending invitations: %w", err)
	}
	return invs, nil
}

// InvitationsFor lists every invitation for an email, in all workspaces, expired included.
func (r *Workspaces) InvitationsFor(ctx context.Context, email string) ([]workspace.Invitation, error) {
	invs, err := r.invitations(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE email = ?", email)
	if err != nil {
		return nil, storeError("sqlite: find invitations for email: %w", err)
	}
	return invs, nil
}

func (r *Workspaces) invitations(ctx context.Context, query string, args ...any) ([]workspace.Invitation, error) {
	out := []workspace.Invitation{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		inv, err := scanInvitation(rows)
		out = append(out, inv)
		return err
	}, query, args...)
	return out, err
}

// DeleteInvitation removes one invitation of the workspace; ErrInvitationNotFound when there is
// none with that id there.
func (r *Workspaces) DeleteInvitation(ctx context.Context, workspaceID, id string) error {
	res, err := r.db.exec(ctx, r.db.w, "DELETE FROM invitations WHERE id = ? AND workspace_id = ?", id, workspaceID)
	if err != nil {
		return storeError("sqlite: delete invitation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return workspace.ErrInvitationNotFound
}

// DeleteExpiredInvitation removes the workspace's invitation for email if it expired by now
// (expiresAt <= now), so a new one can take its place.
func (r *Workspaces) DeleteExpiredInvitation(ctx context.Context, workspaceID, email string, now time.Time) error {
	if _, err := r.db.exec(ctx, r.db.w, "DELETE FROM invitations WHERE workspace_id = ? AND email = ? AND expires_at <= ?",
		workspaceID, email, ms(now)); err != nil {
		return storeError("sqlite: delete expired invitation: %w", err)
	}
	return nil
}
