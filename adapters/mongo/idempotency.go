package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/modules/idempotency"
)

// idempotencyDoc is a record in the idempotencyKeys collection; _id joins scope and key (a key
// is printable ASCII, so the newline cannot be in either).
type idempotencyDoc struct {
	ID          string            `bson:"_id"`
	Scope       string            `bson:"scope"`
	Key         string            `bson:"key"`
	Fingerprint string            `bson:"fingerprint"`
	Token       string            `bson:"token"`
	Status      int               `bson:"status"`
	Header      map[string]string `bson:"header,omitempty"`
	Body        []byte            `bson:"body,omitempty"`
	LockedUntil time.Time         `bson:"lockedUntil"`
	ExpiresAt   time.Time         `bson:"expiresAt"`
}

func idempotencyID(scope, key string) string { return scope + "\n" + key }

// IdempotencyKeys is the idempotency.Repository on MongoDB: the _id refuses a second claim on
// any instance. The embedded store has no TTL index, so expired records are deleted by
// DeleteExpired on both.
type IdempotencyKeys struct{ coll *mongodriver.Collection }

var _ idempotency.Repository = (*IdempotencyKeys)(nil)

// NewIdempotencyKeys returns the record repository on db; EnsureIndexes must have run on db.
func NewIdempotencyKeys(db *mongodriver.Database) *IdempotencyKeys {
	return &IdempotencyKeys{coll: db.Collection(idempotencyColl)}
}

// Insert claims the key by inserting; on a duplicate it reads the existing record.
func (r *IdempotencyKeys) Insert(ctx context.Context, rec idempotency.Record) (idempotency.Record, bool, error) {
	id := idempotencyID(rec.Scope, rec.Key)
	_, err := r.coll.InsertOne(ctx, idempotencyDoc{ID: id, Scope: rec.Scope, Key: rec.Key, Fingerprint: rec.Fingerprint,
		Token: rec.Token, LockedUntil: rec.LockedUntil.UTC(), ExpiresAt: rec.ExpiresAt.UTC()})
	switch {
	case err == nil:
		return idempotency.Record{}, true, nil
	case !isDuplicateKey(err):
		return idempotency.Record{}, false, storeError("mongo: claim idempotency key: %w", err)
	}
	var d idempotencyDoc
	err = r.coll.FindOne(ctx, byID(id)).Decode(&d)
	switch {
	case isNoDocuments(err):
		// Released in between: the caller tries again.
		return idempotency.Record{Scope: rec.Scope, Key: rec.Key}, false, nil
	case err != nil:
		return idempotency.Record{}, false, storeError("mongo: read idempotency key: %w", err)
	}
	return idempotency.Record{Scope: d.Scope, Key: d.Key, Fingerprint: d.Fingerprint, Token: d.Token, Status: d.Status,
		Header: d.Header, Body: d.Body, LockedUntil: d.LockedUntil.UTC(), ExpiresAt: d.ExpiresAt.UTC()}, false, nil
}

// Complete stores the answer of the claim token (under the document's lock, for the embedded
// store: see locks.go).
func (r *IdempotencyKeys) Complete(ctx context.Context, scope, key, token string, status int, header map[string]string, body []byte) error {
	id := idempotencyID(scope, key)
	unlock, err := lockDoc(ctx, r.coll, id)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := r.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "token", Value: token}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: status}, {Key: "header", Value: header}, {Key: "body", Value: body}}}})
	if err != nil {
		return storeError("mongo: complete idempotency key: %w", err)
	}
	if res.MatchedCount == 0 {
		return idempotency.ErrClaimLost
	}
	return nil
}

// Release deletes the record of the claim token.
func (r *IdempotencyKeys) Release(ctx context.Context, scope, key, token string) error {
	id := idempotencyID(scope, key)
	unlock, err := lockDoc(ctx, r.coll, id)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := r.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "token", Value: token}}); err != nil {
		return storeError("mongo: release idempotency key: %w", err)
	}
	return nil
}

// DeleteExpired deletes the records expired at now.
func (r *IdempotencyKeys) DeleteExpired(ctx context.Context, now time.Time) error {
	if _, err := r.coll.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}}); err != nil {
		return storeError("mongo: delete expired idempotency keys: %w", err)
	}
	return nil
}
