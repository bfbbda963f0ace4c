package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// userDoc is a user as stored in the users collection.
type userDoc struct {
	ID           string    `bson:"_id"`
	Email        string    `bson:"email"`
	DisplayName  string    `bson:"displayName"`
	PasswordHash string    `bson:"passwordHash"`
	CreatedAt    time.Time `bson:"createdAt"`
	// TokenGeneration is absent on users stored before it existed, which reads as 0.
	TokenGeneration int64 `bson:"tokenGeneration,omitempty"`
}

func toUserDoc(u identity.User) userDoc {
	return userDoc{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt, TokenGeneration: u.TokenGeneration}
}

func (d userDoc) user() identity.User {
	return identity.User{ID: d.ID, Email: d.Email, DisplayName: d.DisplayName, PasswordHash: d.PasswordHash, CreatedAt: d.CreatedAt.UTC(), TokenGeneration: d.TokenGeneration}
}

// Users is the identity.Repository on MongoDB: collection users, _id the user id, unique email.
type Users struct {
	coll *mongodriver.Collection
}

var _ identity.Repository = (*Users)(nil)

// NewUsers returns the user repository on db; EnsureIndexes must have run on db.
func NewUsers(db *mongodriver.Database) *Users {
	return &Users{coll: db.Collection(usersColl)}
}

// Create stores a new user; the unique email index turns a taken email into ErrEmailTaken,
// also when two registrations race.
func (r *Users) Create(ctx context.Context, u identity.User) error {
	if _, err := r.coll.InsertOne(ctx, toUserDoc(u)); err != nil {
		if isDuplicateKey(err) {
			return identity.ErrEmailTaken
		}
		return storeError("mongo: insert user: %w", err)
	}
	return nil
}

// ByID returns the user or ErrUserNotFound.
func (r *Users) ByID(ctx context.Context, id string) (identity.User, error) {
	return r.findOne(ctx, byID(id), "by id")
}

// ByEmail returns the user with that normalised email or ErrUserNotFound.
func (r *Users) ByEmail(ctx context.Context, email string) (identity.User, error) {
	return r.findOne(ctx, bson.D{{Key: "email", Value: email}}, "by email")
}

func (r *Users) findOne(ctx context.Context, filter bson.D, how string) (identity.User, error) {
	var d userDoc
	if err := r.coll.FindOne(ctx, filter).Decode(&d); err != nil {
		if isNoDocuments(err) {
			return identity.User{}, identity.ErrUserNotFound
		}
		return identity.User{}, storeError("mongo: find user %s: %w", how, err)
	}
	return d.user(), nil
}

// RevokeTokens raises the user's token generation, and sets the password hash when one is
// given, in one atomic update (under the document's lock, for the embedded store: see locks.go).
func (r *Users) RevokeTokens(ctx context.Context, id, passwordHash string) (identity.User, error) {
	unlock, err := lockDoc(ctx, r.coll, id)
	if err != nil {
		return identity.User{}, err
	}
	defer unlock()
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "tokenGeneration", Value: int64(1)}}}}
	if passwordHash != "" {
		update = append(update, bson.E{Key: "$set", Value: bson.D{{Key: "passwordHash", Value: passwordHash}}})
	}
	var d userDoc
	err = r.coll.FindOneAndUpdate(ctx, byID(id), update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if isNoDocuments(err) {
		return identity.User{}, identity.ErrUserNotFound
	}
	if err != nil {
		return identity.User{}, storeError("mongo: revoke tokens: %w", err)
	}
	return d.user(), nil
}

// ByIDs returns the users that exist among ids, each once, in no particular order.
func (r *Users) ByIDs(ctx context.Context, ids []string) ([]identity.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var docs []userDoc
	if err := findAll(ctx, r.coll, idIn(ids), nil, &docs); err != nil {
		return nil, storeError("mongo: find users by ids: %w", err)
	}
	out := make([]identity.User, len(docs))
	for i, d := range docs {
		out[i] = d.user()
	}
	return out, nil
}
