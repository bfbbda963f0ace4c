package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/platform/versioned"
)

// updateAttempts bounds how often an Update reloads after losing a race to another process.
const updateAttempts = 5

// updateVersioned is the Update of every versioned repository: the compare-and-set of
// platform/versioned on coll. get loads the entity of the workspace (its not-found error ends
// the update); the write replaces the document, as toDoc stores next, only if its version is
// still the one loaded. It holds the document's lock throughout (see docLocks), so within this
// process it never loses; a race lost to another process is retried from a fresh load, up to
// updateAttempts times, then reported as conflict.
func updateVersioned[T any, P versioned.Entity[T], D any](ctx context.Context, coll *mongodriver.Collection, workspaceID, id string,
	get func(ctx context.Context, workspaceID, id string) (T, error), toDoc func(T) D,
	conflict error, change func(*T) (bool, error),
) (T, bool, error) {
	unlock, err := lockDoc(ctx, coll, id)
	if err != nil {
		var zero T
		return zero, false, err
	}
	defer unlock()
	return versioned.Update[T, P](versioned.Store[T]{
		Load: func() (T, error) { return get(ctx, workspaceID, id) },
		Replace: func(loaded, next T) (bool, error) {
			// _id alone finds the document (the embedded store's fast path); the version makes
			// the write conditional. The workspace needs no check: get checked it, and no
			// change moves an entity.
			filter := bson.D{{Key: "_id", Value: id}, {Key: "version", Value: P(&loaded).Revision()}}
			res, err := coll.ReplaceOne(ctx, filter, toDoc(next))
			if err != nil {
				return false, storeError("mongo: replace in %s: %w", coll.Name(), err)
			}
			return res.MatchedCount == 1, nil
		},
		Attempts: updateAttempts,
		Conflict: conflict,
	}, change)
}
