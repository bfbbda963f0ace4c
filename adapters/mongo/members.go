package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/modules/workspace"
)

// membershipDoc is a membership as stored in the memberships collection. Its _id is
// memberKey(workspaceId, userId), so the authorization check on every request is a lookup by
// _id (the only lookup the embedded store does without scanning) and the _id index alone
// already makes a second membership of the same user in the same workspace impossible.
type membershipDoc struct {
	ID          string    `bson:"_id"`
	WorkspaceID string    `bson:"workspaceId"`
	UserID      string    `bson:"userId"`
	Role        string    `bson:"role"`
	JoinedAt    time.Time `bson:"joinedAt"`
}

// memberKey is a membership's _id. Ids contain no ':' (they are hex), and reads compare the
// stored fields too, so an id that does contain one cannot reach another membership.
func memberKey(workspaceID, userID string) string { return workspaceID + ":" + userID }

func toMembershipDoc(m workspace.Membership) membershipDoc {
	return membershipDoc{
		ID: memberKey(m.WorkspaceID, m.UserID), WorkspaceID: m.WorkspaceID, UserID: m.UserID,
		Role: string(m.Role), JoinedAt: m.JoinedAt,
	}
}

func (d membershipDoc) membership() workspace.Membership {
	return workspace.Membership{WorkspaceID: d.WorkspaceID, UserID: d.UserID, Role: workspace.Role(d.Role), JoinedAt: d.JoinedAt.UTC()}
}

// memberFilter selects one membership, by _id and, redundantly, by its fields (see memberKey).
func memberFilter(workspaceID, userID string) bson.D {
	return bson.D{
		{Key: "_id", Value: memberKey(workspaceID, userID)},
		{Key: "workspaceId", Value: workspaceID},
		{Key: "userId", Value: userID},
	}
}

// AddMember stores m; the _id (and the unique index) turn a second membership into
// ErrAlreadyMember, also when two adds race. Without transactions, a concurrent DeleteWorkspace
// is met by order: it deletes the workspace first and its memberships after, so a membership
// inserted and then finding the workspace gone is taken back (ErrWorkspaceNotFound), and one
// that found it will be deleted by the deletion's second step.
func (r *Workspaces) AddMember(ctx context.Context, m workspace.Membership) error {
	if err := r.insertMember(ctx, m); err != nil {
		return err
	}
	return r.takeBackUnlessWorkspace(ctx, m.WorkspaceID, func(ctx context.Context) error {
		_, err := r.memberships.DeleteOne(ctx, byID(memberKey(m.WorkspaceID, m.UserID)))
		return err
	})
}

// takeBackUnlessWorkspace runs undo (in a context that outlives ctx) when the workspace is
// gone, and then reports ErrWorkspaceNotFound.
func (r *Workspaces) takeBackUnlessWorkspace(ctx context.Context, workspaceID string, undo func(context.Context) error) error {
	_, err := r.Workspace(ctx, workspaceID)
	if !errors.Is(err, workspace.ErrWorkspaceNotFound) {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if uerr := undo(cctx); uerr != nil {
		return errors.Join(err, storeError("mongo: take back a write to a deleted workspace: %w", uerr))
	}
	return err
}

// insertMember stores m without looking at the workspace (CreateWorkspace stores the owner's
// membership before the workspace).
func (r *Workspaces) insertMember(ctx context.Context, m workspace.Membership) error {
	if _, err := r.memberships.InsertOne(ctx, toMembershipDoc(m)); err != nil {
		if isDuplicateKey(err) {
			return workspace.ErrAlreadyMember
		}
		return storeError("mongo: insert membership: %w", err)
	}
	return nil
}

// Member returns the membership or ErrMemberNotFound. It filters on _id alone, the fast path.
func (r *Workspaces) Member(ctx context.Context, workspaceID, userID string) (workspace.Membership, error) {
	var d membershipDoc
	if err := r.memberships.FindOne(ctx, byID(memberKey(workspaceID, userID))).Decode(&d); err != nil {
		if isNoDocuments(err) {
			return workspace.Membership{}, workspace.ErrMemberNotFound
		}
		return workspace.Membership{}, storeError("mongo: find membership: %w", err)
	}
	if d.WorkspaceID != workspaceID || d.UserID != userID {
		return workspace.Membership{}, workspace.ErrMemberNotFound
	}
	return d.membership(), nil
}

// SetRole changes the role only if it is still `from`, in one conditional update.
func (r *Workspaces) SetRole(ctx context.Context, workspaceID, userID string, from, to workspace.Role) (workspace.Membership, error) {
	filter := append(memberFilter(workspaceID, userID), bson.E{Key: "role", Value: string(from)})
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "role", Value: string(to)}}}}
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	unlock, err := lockDoc(ctx, r.memberships, memberKey(workspaceID, userID)) // see docLocks
	if err != nil {
		return workspace.Membership{}, err
	}
	defer unlock()
	var d membershipDoc
	err = r.memberships.FindOneAndUpdate(ctx, filter, update, opts).Decode(&d)
	if err == nil {
		return d.membership(), nil
	}
	if !isNoDocuments(err) {
		return workspace.Membership{}, storeError("mongo: set member role: %w", err)
	}
	return workspace.Membership{}, r.whyNoMatch(ctx, workspaceID, userID)
}

// RemoveMember deletes the membership only if its role is still `role`, in one conditional
// delete.
func (r *Workspaces) RemoveMember(ctx context.Context, workspaceID, userID string, role workspace.Role) error {
	filter := append(memberFilter(workspaceID, userID), bson.E{Key: "role", Value: string(role)})
	unlock, err := lockDoc(ctx, r.memberships, memberKey(workspaceID, userID)) // see docLocks
	if err != nil {
		return err
	}
	defer unlock()
	res, err := r.memberships.DeleteOne(ctx, filter)
	if err != nil {
		return storeError("mongo: remove member: %w", err)
	}
	if res.DeletedCount == 1 {
		return nil
	}
	return r.whyNoMatch(ctx, workspaceID, userID)
}

// whyNoMatch explains a compare-and-set on a membership that matched nothing: the membership is
// gone (ErrMemberNotFound) or its role changed under us (ErrConcurrentUpdate).
func (r *Workspaces) whyNoMatch(ctx context.Context, workspaceID, userID string) error {
	if _, err := r.Member(ctx, workspaceID, userID); err != nil {
		return err
	}
	return workspace.ErrConcurrentUpdate
}

// Members lists a workspace's memberships by user id, after afterUserID, at most limit.
func (r *Workspaces) Members(ctx context.Context, workspaceID, afterUserID string, limit int) ([]workspace.Membership, error) {
	ms, err := r.membershipPage(ctx, bson.D{{Key: "workspaceId", Value: workspaceID}}, "userId", afterUserID, limit)
	if err != nil {
		return nil, storeError("mongo: list members of workspace: %w", err)
	}
	return ms, nil
}

// CountMembers counts a workspace's memberships.
func (r *Workspaces) CountMembers(ctx context.Context, workspaceID string) (int, error) {
	n, err := r.memberships.CountDocuments(ctx, bson.D{{Key: "workspaceId", Value: workspaceID}})
	if err != nil {
		return 0, storeError("mongo: count members: %w", err)
	}
	return int(n), nil
}

// MembershipsOf lists a user's memberships by workspace id, after afterWorkspaceID, at most limit.
func (r *Workspaces) MembershipsOf(ctx context.Context, userID, afterWorkspaceID string, limit int) ([]workspace.Membership, error) {
	ms, err := r.membershipPage(ctx, bson.D{{Key: "userId", Value: userID}}, "workspaceId", afterWorkspaceID, limit)
	if err != nil {
		return nil, storeError("mongo: list memberships of user: %w", err)
	}
	return ms, nil
}

func (r *Workspaces) membershipPage(ctx context.Context, filter bson.D, key, after string, limit int) ([]workspace.Membership, error) {
	var docs []membershipDoc
	if err := findPage(ctx, r.memberships, filter, key, after, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]workspace.Membership, len(docs))
	for i, d := range docs {
		out[i] = d.membership()
	}
	return out, nil
}
