package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/modules/workspace"
)

// workspaceDoc is a workspace as stored in the workspaces collection.
type workspaceDoc struct {
	ID         string    `bson:"_id"`
	Name       string    `bson:"name"`
	CreatedBy  string    `bson:"createdBy"`
	CreatedAt  time.Time `bson:"createdAt"`
	UpdatedAt  time.Time `bson:"updatedAt"`
	OwnerCount int       `bson:"ownerCount"`
}

func toWorkspaceDoc(w workspace.Workspace) workspaceDoc {
	return workspaceDoc{ID: w.ID, Name: w.Name, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, OwnerCount: w.OwnerCount}
}

func (d workspaceDoc) workspace() workspace.Workspace {
	return workspace.Workspace{
		ID: d.ID, Name: d.Name, CreatedBy: d.CreatedBy,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), OwnerCount: d.OwnerCount,
	}
}

// Workspaces is the workspace.Repository on MongoDB: collections workspaces, memberships and
// invitations.
type Workspaces struct {
	workspaces  *mongodriver.Collection
	memberships *mongodriver.Collection
	invitations *mongodriver.Collection
}

var _ workspace.Repository = (*Workspaces)(nil)

// NewWorkspaces returns the workspace repository on db; EnsureIndexes must have run on db.
func NewWorkspaces(db *mongodriver.Database) *Workspaces {
	return &Workspaces{
		workspaces:  db.Collection(workspacesColl),
		memberships: db.Collection(membershipsColl),
		invitations: db.Collection(invitationsColl),
	}
}

// CreateWorkspace stores the owner's membership, then the workspace. That order keeps
// OwnerCount from ever exceeding the owner memberships, and a crash in between leaves only a
// membership of a workspace that does not exist, which readers already treat as gone (the same
// state DeleteWorkspace passes through). If the second insert fails, the membership is removed.
func (r *Workspaces) CreateWorkspace(ctx context.Context, w workspace.Workspace, owner workspace.Membership) error {
	if err := r.insertMember(ctx, owner); err != nil {
		return storeError("mongo: create workspace owner: %w", err)
	}
	if _, err := r.workspaces.InsertOne(ctx, toWorkspaceDoc(w)); err != nil {
		// Clean up even if ctx was cancelled: that may be why the insert failed.
		cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, derr := r.memberships.DeleteOne(cleanupCtx, byID(memberKey(owner.WorkspaceID, owner.UserID))); derr != nil {
			err = errors.Join(err, fmt.Errorf("remove owner membership: %w", derr))
		}
		return storeError("mongo: insert workspace: %w", err)
	}
	return nil
}

// Workspace returns the workspace or ErrWorkspaceNotFound.
func (r *Workspaces) Workspace(ctx context.Context, id string) (workspace.Workspace, error) {
	var d workspaceDoc
	if err := r.workspaces.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		if isNoDocuments(err) {
			return workspace.Workspace{}, workspace.ErrWorkspaceNotFound
		}
		return workspace.Workspace{}, storeError("mongo: find workspace: %w", err)
	}
	return d.workspace(), nil
}

// WorkspacesByIDs returns the workspaces that exist among ids, in no particular order.
func (r *Workspaces) WorkspacesByIDs(ctx context.Context, ids []string) ([]workspace.Workspace, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var docs []workspaceDoc
	if err := findAll(ctx, r.workspaces, idIn(ids), nil, &docs); err != nil {
		return nil, storeError("mongo: find workspaces by ids: %w", err)
	}
	out := make([]workspace.Workspace, len(docs))
	for i, d := range docs {
		out[i] = d.workspace()
	}
	return out, nil
}

// RenameWorkspace sets the name and update time in one update that returns the result. It
// takes the document lock too: on the embedded store every update rewrites the whole document,
// so an unlocked rename could undo a concurrent AddOwners.
func (r *Workspaces) RenameWorkspace(ctx context.Context, id, name string, at time.Time) (workspace.Workspace, error) {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: name}, {Key: "updatedAt", Value: at}}}}
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	unlock, err := lockDoc(ctx, r.workspaces, id) // see docLocks
	if err != nil {
		return workspace.Workspace{}, err
	}
	defer unlock()
	var d workspaceDoc
	if err := r.workspaces.FindOneAndUpdate(ctx, byID(id), update, opts).Decode(&d); err != nil {
		if isNoDocuments(err) {
			return workspace.Workspace{}, workspace.ErrWorkspaceNotFound
		}
		return workspace.Workspace{}, storeError("mongo: rename workspace: %w", err)
	}
	return d.workspace(), nil
}

// DeleteWorkspace deletes the workspace document first, so the workspace is gone at once for
// every reader, then its memberships and invitations. The cleanup runs even when the workspace
// was already missing: a retry after a crash between the steps still sweeps the leftovers
// (and still reports ErrWorkspaceNotFound).
func (r *Workspaces) DeleteWorkspace(ctx context.Context, id string) error {
	res, err := r.workspaces.DeleteOne(ctx, byID(id))
	if err != nil {
		return storeError("mongo: delete workspace: %w", err)
	}
	inWorkspace := bson.D{{Key: "workspaceId", Value: id}}
	if _, err := r.memberships.DeleteMany(ctx, inWorkspace); err != nil {
		return storeError("mongo: delete memberships of workspace: %w", err)
	}
	if _, err := r.invitations.DeleteMany(ctx, inWorkspace); err != nil {
		return storeError("mongo: delete invitations of workspace: %w", err)
	}
	if res.DeletedCount == 0 {
		return workspace.ErrWorkspaceNotFound
	}
	return nil
}

// AddOwners adds delta to ownerCount in one conditional update: a negative delta only applies
// while at least 1-delta owners are counted, so concurrent demotions can never take the count
// below one. When nothing matched, a read tells a missing workspace from the last owner.
// (updateOne rather than findOneAndUpdate: nothing needs returning, and the embedded store
// rejects findAndModify with a projection.)
func (r *Workspaces) AddOwners(ctx context.Context, workspaceID string, delta int) error {
	filter := byID(workspaceID)
	if delta < 0 {
		filter = append(filter, bson.E{Key: "ownerCount", Value: bson.D{{Key: "$gte", Value: 1 - delta}}})
	}
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "ownerCount", Value: delta}}}}
	unlock, err := lockDoc(ctx, r.workspaces, workspaceID) // see docLocks
	if err != nil {
		return err
	}
	defer unlock()
	res, err := r.workspaces.UpdateOne(ctx, filter, update)
	switch {
	case err != nil:
		return storeError("mongo: add %d owners: %w", delta, err)
	case res.MatchedCount == 1:
		return nil
	case delta >= 0:
		return workspace.ErrWorkspaceNotFound
	}
	if _, err := r.Workspace(ctx, workspaceID); err != nil {
		return err // ErrWorkspaceNotFound, or a wrapped read error
	}
	return workspace.ErrLastOwner
}

// ImportWorkspace stores w as it is, owner count included, without a membership: `workspaceops
// copy` brings the memberships separately.
func (r *Workspaces) ImportWorkspace(ctx context.Context, w workspace.Workspace) error {
	if _, err := r.workspaces.InsertOne(ctx, toWorkspaceDoc(w)); err != nil {
		return storeError("mongo: insert workspace: %w", err)
	}
	return nil
}
