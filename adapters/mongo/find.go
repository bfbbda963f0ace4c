package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// findAll runs a find and decodes every result into docs (a pointer to a slice).
func findAll(ctx context.Context, coll *mongodriver.Collection, filter bson.D, opts *options.FindOptionsBuilder, docs any) error {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, docs) // All closes the cursor
}

// findPage decodes into docs at most limit documents matching filter whose key is greater than
// after, ordered by key: keyset paging, stable under inserts and deletes. A limit below one
// returns nothing (MongoDB would read 0 as "no limit").
func findPage(ctx context.Context, coll *mongodriver.Collection, filter bson.D, key, after string, limit int, docs any) error {
	if limit < 1 {
		return nil
	}
	filter = append(filter, bson.E{Key: key, Value: bson.D{{Key: "$gt", Value: after}}})
	opts := options.Find().SetSort(bson.D{{Key: key, Value: 1}}).SetLimit(int64(limit))
	return findAll(ctx, coll, filter, opts, docs)
}

// idIn is the filter {_id: {$in: ids}}.
func idIn(ids []string) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
}

// byID is the filter {_id: id}. On the embedded store it is the only filter that does not scan
// the whole collection, so hot reads use it alone.
func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }

// deleteInWorkspace deletes the document id of coll if it belongs to workspaceID, else returns
// notFound. It holds the document's lock (see docLocks), so it never interleaves with an
// Update's write. what names the entity in errors.
func deleteInWorkspace(ctx context.Context, coll *mongodriver.Collection, workspaceID, id string, notFound error, what string) error {
	unlock, err := lockDoc(ctx, coll, id)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspaceId", Value: workspaceID}})
	if err != nil {
		return storeError("mongo: delete %s: %w", what, err)
	}
	if res.DeletedCount == 0 {
		return notFound
	}
	return nil
}

// getInWorkspace decodes the document id of coll (found by _id alone, the embedded store's fast
// path) and returns notFound when there is none or when it belongs to another workspace than
// workspaceID (workspaceOf reads it). what names the entity in errors.
func getInWorkspace[D any](ctx context.Context, coll *mongodriver.Collection, workspaceID, id string, workspaceOf func(D) string,
	notFound error, what string) (D, error) {
	var d D
	if err := coll.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		var zero D
		if isNoDocuments(err) {
			return zero, notFound
		}
		return zero, storeError("mongo: find %s: %w", what, err)
	}
	if workspaceOf(d) != workspaceID {
		var zero D
		return zero, notFound
	}
	return d, nil
}
