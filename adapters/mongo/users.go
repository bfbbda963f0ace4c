package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// userDoc is a user as stored in the users collection.
type userDoc struct {
	ID           string    `bson:"_id"`
	Email        string    `bson:"email"`
	DisplayName  string    `bson:"displayName"`
	PasswordHash string    `bson:"passwordHash"`
	CreatedAt    time.Time `bson:"createdAt"`
}

func toUserDoc(u identity.User) userDoc {
	return userDoc{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt}
}

func (d userDoc) user() identity.User {
	return identity.User{ID: d.ID, Email: d.Email, DisplayName: d.DisplayName, PasswordHash: d.PasswordHash, CreatedAt: d.CreatedAt.UTC()}
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
		return fmt.Errorf("mongo: insert user: %w", err)
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
		return identity.User{}, fmt.Errorf("mongo: find user %s: %w", how, err)
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
		return nil, fmt.Errorf("mongo: find users by ids: %w", err)
	}
	out := make([]identity.User, len(docs))
	for i, d := range docs {
		out[i] = d.user()
	}
	return out, nil
}
