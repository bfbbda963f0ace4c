package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/modules/apikey"
)

// apiKeyDoc is a key as stored in the apiKeys collection.
type apiKeyDoc struct {
	ID          string     `bson:"_id"`
	WorkspaceID string     `bson:"workspaceId"`
	Name        string     `bson:"name"`
	Role        string     `bson:"role"`
	Prefix      string     `bson:"prefix"`
	Hash        string     `bson:"hash"`
	CreatedBy   string     `bson:"createdBy"`
	CreatedAt   time.Time  `bson:"createdAt"`
	ExpiresAt   *time.Time `bson:"expiresAt,omitempty"`
	LastUsedAt  *time.Time `bson:"lastUsedAt,omitempty"`
}

func (d apiKeyDoc) key() apikey.Key {
	k := apikey.Key{ID: d.ID, WorkspaceID: d.WorkspaceID, Name: d.Name, Role: d.Role, Prefix: d.Prefix, Hash: d.Hash,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC()}
	if d.ExpiresAt != nil {
		t := d.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	if d.LastUsedAt != nil {
		t := d.LastUsedAt.UTC()
		k.LastUsedAt = &t
	}
	return k
}

// APIKeys is the apikey.Repository on MongoDB: collection apiKeys, _id the key id, unique hash.
type APIKeys struct{ coll *mongodriver.Collection }

var _ apikey.Repository = (*APIKeys)(nil)

// NewAPIKeys returns the key repository on db; EnsureIndexes must have run on db.
func NewAPIKeys(db *mongodriver.Database) *APIKeys { return &APIKeys{coll: db.Collection(apiKeysColl)} }

// Create stores k; the _id and the unique hash index refuse a duplicate.
func (r *APIKeys) Create(ctx context.Context, k apikey.Key) error {
	d := apiKeyDoc{ID: k.ID, WorkspaceID: k.WorkspaceID, Name: k.Name, Role: k.Role, Prefix: k.Prefix, Hash: k.Hash,
		CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt}
	if _, err := r.coll.InsertOne(ctx, d); err != nil {
		if isDuplicateKey(err) {
			return apikey.ErrKeyExists
		}
		return storeError("mongo: insert api key: %w", err)
	}
	return nil
}

// ByID returns the key or ErrKeyNotFound.
func (r *APIKeys) ByID(ctx context.Context, id string) (apikey.Key, error) {
	return r.findOne(ctx, byID(id))
}

// ByHash returns the key with the token hash or ErrKeyNotFound.
func (r *APIKeys) ByHash(ctx context.Context, hash string) (apikey.Key, error) {
	return r.findOne(ctx, bson.D{{Key: "hash", Value: hash}})
}

func (r *APIKeys) findOne(ctx context.Context, filter bson.D) (apikey.Key, error) {
	var d apiKeyDoc
	if err := r.coll.FindOne(ctx, filter).Decode(&d); err != nil {
		if isNoDocuments(err) {
			return apikey.Key{}, apikey.ErrKeyNotFound
		}
		return apikey.Key{}, storeError("mongo: find api key: %w", err)
	}
	return d.key(), nil
}

// List returns a workspace's keys by id after afterID, at most limit.
func (r *APIKeys) List(ctx context.Context, workspaceID, afterID string, limit int) ([]apikey.Key, error) {
	var docs []apiKeyDoc
	if err := findPage(ctx, r.coll, bson.D{{Key: "workspaceId", Value: workspaceID}}, "_id", afterID, limit, &docs); err != nil {
		return nil, storeError("mongo: list api keys: %w", err)
	}
	out := make([]apikey.Key, len(docs))
	for i, d := range docs {
		out[i] = d.key()
	}
	return out, nil
}

// Count counts a workspace's keys.
func (r *APIKeys) Count(ctx context.Context, workspaceID string) (int, error) {
	n, err := r.coll.CountDocuments(ctx, bson.D{{Key: "workspaceId", Value: workspaceID}})
	if err != nil {
		return 0, storeError("mongo: count api keys: %w", err)
	}
	return int(n), nil
}

// Delete removes a workspace's key and returns it.
func (r *APIKeys) Delete(ctx context.Context, workspaceID, id string) (apikey.Key, error) {
	var d apiKeyDoc
	err := r.coll.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspaceId", Value: workspaceID}}).Decode(&d)
	if isNoDocuments(err) {
		return apikey.Key{}, apikey.ErrKeyNotFound
	}
	if err != nil {
		return apikey.Key{}, storeError("mongo: delete api key: %w", err)
	}
	return d.key(), nil
}

// Touch sets the last use unless it is already at or after notBefore (under the document's
// lock, for the embedded store: see locks.go).
func (r *APIKeys) Touch(ctx context.Context, id string, at, notBefore time.Time) error {
	unlock, err := lockDoc(ctx, r.coll, id)
	if err != nil {
		return err
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "lastUsedAt", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "lastUsedAt", Value: bson.D{{Key: "$lt", Value: notBefore.UTC()}}}},
	}}}
	if _, err := r.coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "lastUsedAt", Value: at.UTC()}}}}); err != nil {
		return storeError("mongo: record api key use: %w", err)
	}
	return nil
}
