package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/modules/workspace"
)

// invitationDoc is an invitation as stored in the invitations collection.
type invitationDoc struct {
	ID          string    `bson:"_id"`
	WorkspaceID string    `bson:"workspaceId"`
	Email       string    `bson:"email"`
	Role        string    `bson:"role"`
	InvitedBy   string    `bson:"invitedBy"`
	CreatedAt   time.Time `bson:"createdAt"`
	ExpiresAt   time.Time `bson:"expiresAt"`
}

func toInvitationDoc(inv workspace.Invitation) invitationDoc {
	return invitationDoc{
		ID: inv.ID, WorkspaceID: inv.WorkspaceID, Email: inv.Email, Role: string(inv.Role),
		InvitedBy: inv.InvitedBy, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
	}
}

func (d invitationDoc) invitation() workspace.Invitation {
	return workspace.Invitation{
		ID: d.ID, WorkspaceID: d.WorkspaceID, Email: d.Email, Role: workspace.Role(d.Role),
		InvitedBy: d.InvitedBy, CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
	}
}

func invitations(docs []invitationDoc) []workspace.Invitation {
	out := make([]workspace.Invitation, len(docs))
	for i, d := range docs {
		out[i] = d.invitation()
	}
	return out
}

// CreateInvitation stores inv; the unique (workspaceId, email) index turns a second one into
// ErrAlreadyInvited, also when two invites race.
func (r *Workspaces) CreateInvitation(ctx context.Context, inv workspace.Invitation) error {
	if _, err := r.invitations.InsertOne(ctx, toInvitationDoc(inv)); err != nil {
		if isDuplicateKey(err) {
			return workspace.ErrAlreadyInvited
		}
		return storeError("mongo: insert invitation: %w", err)
	}
	// As AddMember: one inserted after DeleteWorkspace's deletion of invitations is taken back.
	return r.takeBackUnlessWorkspace(ctx, inv.WorkspaceID, func(ctx context.Context) error {
		_, err := r.invitations.DeleteOne(ctx, byID(inv.ID))
		return err
	})
}

// PendingInvitations lists a workspace's invitations not expired at now, by id, after afterID,
// at most limit. Expiry is a filter, not a TTL index: the embedded store has none.
func (r *Workspaces) PendingInvitations(ctx context.Context, workspaceID, afterID string, now time.Time, limit int) ([]workspace.Invitation, error) {
	filter := bson.D{
		{Key: "workspaceId", Value: workspaceID},
		{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}},
	}
	var docs []invitationDoc
	if err := findPage(ctx, r.invitations, filter, "_id", afterID, limit, &docs); err != nil {
		return nil, storeError("mongo: list pending invitations: %w", err)
	}
	return invitations(docs), nil
}

// InvitationsFor lists every invitation for an email, in all workspaces, expired included.
func (r *Workspaces) InvitationsFor(ctx context.Context, email string) ([]workspace.Invitation, error) {
	var docs []invitationDoc
	if err := findAll(ctx, r.invitations, bson.D{{Key: "email", Value: email}}, nil, &docs); err != nil {
		return nil, storeError("mongo: find invitations for email: %w", err)
	}
	return invitations(docs), nil
}

// DeleteInvitation removes one invitation of the workspace; ErrInvitationNotFound when there is
// none with that id in that workspace.
func (r *Workspaces) DeleteInvitation(ctx context.Context, workspaceID, id string) error {
	res, err := r.invitations.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspaceId", Value: workspaceID}})
	if err != nil {
		return storeError("mongo: delete invitation: %w", err)
	}
	if res.DeletedCount == 0 {
		return workspace.ErrInvitationNotFound
	}
	return nil
}

// DeleteExpiredInvitation removes the workspace's invitation for email if it expired by now
// (Invitation.Expired: expiresAt <= now), so a new one can take its place.
func (r *Workspaces) DeleteExpiredInvitation(ctx context.Context, workspaceID, email string, now time.Time) error {
	filter := bson.D{
		{Key: "workspaceId", Value: workspaceID},
		{Key: "email", Value: email},
		{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: now}}},
	}
	if _, err := r.invitations.DeleteOne(ctx, filter); err != nil {
		return storeError("mongo: delete expired invitation: %w", err)
	}
	return nil
}
