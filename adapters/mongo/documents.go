package mongo

import (
	"context"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/modules/document"
)

// documentDoc is a document's metadata as stored in the documents collection. expiresAt is a
// date or null (never expires); expiryStatus is the status as last stored.
type documentDoc struct {
	ID           string     `bson:"_id"`
	WorkspaceID  string     `bson:"workspaceId"`
	Name         string     `bson:"name"`
	Title        string     `bson:"title"`
	Size         int64      `bson:"size"`
	ContentType  string     `bson:"contentType"`
	SHA256       string     `bson:"sha256"`
	BlobID       string     `bson:"blobId"`
	UploadedBy   string     `bson:"uploadedBy"`
	CreatedAt    time.Time  `bson:"createdAt"`
	UpdatedAt    time.Time  `bson:"updatedAt"`
	ExpiresAt    *time.Time `bson:"expiresAt"`
	ExpiryStatus string     `bson:"expiryStatus"`
	Version      int64      `bson:"version"`
}

func toDocumentDoc(d document.Document) documentDoc {
	return documentDoc{
		ID: d.ID, WorkspaceID: d.WorkspaceID, Name: d.Name, Title: d.Title, Size: d.Size,
		ContentType: d.ContentType, SHA256: d.SHA256, BlobID: d.BlobID, UploadedBy: d.UploadedBy,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, ExpiresAt: d.ExpiresAt,
		ExpiryStatus: string(d.ExpiryStatus), Version: d.Version,
	}
}

func (d documentDoc) document() document.Document {
	var expiresAt *time.Time
	if d.ExpiresAt != nil {
		e := d.ExpiresAt.UTC()
		expiresAt = &e
	}
	return document.Document{
		ID: d.ID, WorkspaceID: d.WorkspaceID, Name: d.Name, Title: d.Title, Size: d.Size,
		ContentType: d.ContentType, SHA256: d.SHA256, BlobID: d.BlobID, UploadedBy: d.UploadedBy,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), ExpiresAt: expiresAt,
		ExpiryStatus: document.ExpiryStatus(d.ExpiryStatus), Version: d.Version,
	}
}

// Documents is the document.Repository on MongoDB: collection documents, keyed by the
// document id.
type Documents struct {
	coll *mongodriver.Collection
}

var _ document.Repository = (*Documents)(nil)

// NewDocuments returns the document repository on db; EnsureIndexes must have run on db.
func NewDocuments(db *mongodriver.Database) *Documents {
	return &Documents{coll: db.Collection(documentsColl)}
}

// Create stores new metadata.
func (r *Documents) Create(ctx context.Context, d document.Document) error {
	if _, err := r.coll.InsertOne(ctx, toDocumentDoc(d)); err != nil {
		return storeError("mongo: insert document: %w", err)
	}
	return nil
}

// Get finds the document by _id alone (the embedded store's fast path) and checks its
// workspace afterwards.
func (r *Documents) Get(ctx context.Context, workspaceID, id string) (document.Document, error) {
	d, err := getInWorkspace(ctx, r.coll, workspaceID, id, func(d documentDoc) string { return d.WorkspaceID }, document.ErrNotFound, "document")
	if err != nil {
		return document.Document{}, err
	}
	return d.document(), nil
}

// Update is the compare-and-set of updateVersioned. It cannot move the document: id and
// workspace are kept.
func (r *Documents) Update(ctx context.Context, workspaceID, id string, change func(*document.Document) (bool, error)) (document.Document, bool, error) {
	return updateVersioned(ctx, r.coll, workspaceID, id, r.Get, toDocumentDoc, document.ErrConflict, change)
}

// Delete removes the metadata.
func (r *Documents) Delete(ctx context.Context, workspaceID, id string) error {
	return deleteInWorkspace(ctx, r.coll, workspaceID, id, document.ErrNotFound, "document")
}

// List returns one page of a workspace's documents, newest first: (createdAt, _id) descending,
// strictly after q.After. The text filter is a case-insensitive regular expression of the
// quoted text, so its metacharacters match literally.
func (r *Documents) List(ctx context.Context, workspaceID string, q document.Query) ([]document.Document, error) {
	if q.Limit < 1 {
		return nil, nil
	}
	filter := bson.D{{Key: "workspaceId", Value: workspaceID}}
	if len(q.ExpiryStatuses) > 0 {
		statuses := make([]string, len(q.ExpiryStatuses))
		for i, st := range q.ExpiryStatuses {
			statuses[i] = string(st)
		}
		filter = append(filter, bson.E{Key: "expiryStatus", Value: bson.D{{Key: "$in", Value: statuses}}})
	}
	var and bson.A
	if q.Text != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(q.Text), Options: "i"}
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "name", Value: re}},
			bson.D{{Key: "title", Value: re}},
		}}})
	}
	if q.After != nil {
		after := time.UnixMilli(q.After.CreatedAt).UTC()
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "createdAt", Value: bson.D{{Key: "$lt", Value: after}}}},
			bson.D{{Key: "createdAt", Value: after}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: q.After.ID}}}},
		}}})
	}
	if len(and) > 0 {
		filter = append(filter, bson.E{Key: "$and", Value: and})
	}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(q.Limit))
	docs, err := r.find(ctx, filter, opts)
	if err != nil {
		return nil, storeError("mongo: list documents: %w", err)
	}
	return docs, nil
}

// StaleExpiry returns up to limit documents whose stored status is behind the clock: VALID
// ones whose window has begun, EXPIRING_SOON ones that have expired, and, for robustness (a
// shorter window configured, an expiry moved later by a write that raced a sweep), EXPIRING_SOON
// or EXPIRED ones whose expiry is now further away or gone. The query selects candidates by
// the stored fields; a final check in Go keeps exactly the ones ExpiryStatusAt disagrees with.
func (r *Documents) StaleExpiry(ctx context.Context, now time.Time, window time.Duration, limit int) ([]document.Document, error) {
	if limit < 1 {
		return nil, nil
	}
	soon := now.Add(window)
	status := func(st document.ExpiryStatus) bson.E { return bson.E{Key: "expiryStatus", Value: string(st)} }
	expires := func(op string, t time.Time) bson.E {
		return bson.E{Key: "expiresAt", Value: bson.D{{Key: op, Value: t}}}
	}
	never := bson.D{{Key: "expiresAt", Value: nil}}
	filter := bson.D{{Key: "$or", Value: bson.A{
		bson.D{status(document.Valid), expires("$lte", soon)},
		bson.D{status(document.ExpiringSoon), {Key: "$or", Value: bson.A{
			bson.D{expires("$lte", now)}, bson.D{expires("$gt", soon)}, never,
		}}},
		bson.D{status(document.Expired), {Key: "$or", Value: bson.A{
			bson.D{expires("$gt", now)}, never,
		}}},
	}}}
	docs, err := r.find(ctx, filter, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, storeError("mongo: find stale expiry statuses: %w", err)
	}
	stale := docs[:0]
	for _, d := range docs {
		if d.ExpiryStatus != document.ExpiryStatusAt(d.ExpiresAt, now, window) {
			stale = append(stale, d)
		}
	}
	return stale, nil
}

// SetExpiryStatus moves the stored status in one conditional update on the expected status and
// expiry, under the document lock (see docLocks), incrementing the version.
func (r *Documents) SetExpiryStatus(ctx context.Context, workspaceID, id string, from, to document.ExpiryStatus, expiresAt *time.Time, at time.Time) (bool, error) {
	filter := bson.D{
		{Key: "_id", Value: id}, {Key: "workspaceId", Value: workspaceID},
		{Key: "expiryStatus", Value: string(from)}, {Key: "expiresAt", Value: expiresAt},
	}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "expiryStatus", Value: string(to)}, {Key: "updatedAt", Value: at}}},
		{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}},
	}
	unlock, err := lockDoc(ctx, r.coll, id)
	if err != nil {
		return false, err
	}
	defer unlock()
	res, err := r.coll.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, storeError("mongo: set document expiry status: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// CountByExpiryStatus counts a workspace's documents per stored status in one aggregation.
func (r *Documents) CountByExpiryStatus(ctx context.Context, workspaceID string) (map[document.ExpiryStatus]int, error) {
	pipeline := mongodriver.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "workspaceId", Value: workspaceID}}}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$expiryStatus"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	}
	cur, err := r.coll.Aggregate(ctx, pipeline)
	if err != nil {
		return nil, storeError("mongo: count documents by expiry status: %w", err)
	}
	var rows []struct {
		Status string `bson:"_id"`
		N      int    `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, storeError("mongo: count documents by expiry status: %w", err)
	}
	counts := make(map[document.ExpiryStatus]int, len(rows))
	for _, row := range rows {
		counts[document.ExpiryStatus(row.Status)] += row.N
	}
	return counts, nil
}

func (r *Documents) find(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]document.Document, error) {
	var docs []documentDoc
	if err := findAll(ctx, r.coll, filter, opts, &docs); err != nil {
		return nil, err
	}
	out := make([]document.Document, len(docs))
	for i, d := range docs {
		out[i] = d.document()
	}
	return out, nil
}
