package mongo

import (
	"context"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/modules/workitem"
)

// workItemDoc is a work item as stored in the workItems collection. Besides the item's own
// fields it carries one int64 per sort key, workitem.SortValue of the item, so every order is a
// plain sort on one field plus _id and a page resumes with a comparison on the same two fields.
// They are derived on every write (toWorkItemDoc) and never read back.
type workItemDoc struct {
	ID          string     `bson:"_id"`
	WorkspaceID string     `bson:"workspaceId"`
	Title       string     `bson:"title"`
	Description string     `bson:"description"`
	Status      string     `bson:"status"`
	Priority    string     `bson:"priority"`
	AssigneeID  string     `bson:"assigneeId"` // "" when unassigned
	DueDate     *time.Time `bson:"dueDate"`    // null when none
	Tags        []string   `bson:"tags"`       // never null
	DocumentIDs []string   `bson:"documentIds"`
	CreatedBy   string     `bson:"createdBy"`
	CreatedAt   time.Time  `bson:"createdAt"`
	UpdatedAt   time.Time  `bson:"updatedAt"`
	Version     int64      `bson:"version"`

	CreatedAtMs  int64 `bson:"createdAtMs"`
	UpdatedAtMs  int64 `bson:"updatedAtMs"`
	DueSort      int64 `bson:"dueSort"` // workitem.NoDueDate when there is no due date
	PriorityRank int64 `bson:"priorityRank"`
}

// workItemSortFields maps each sort key to the stored field holding its SortValue.
var workItemSortFields = map[workitem.SortKey]string{
	workitem.SortCreatedAt: "createdAtMs",
	workitem.SortUpdatedAt: "updatedAtMs",
	workitem.SortDueDate:   "dueSort",
	workitem.SortPriority:  "priorityRank",
}

// workItemSortField is the stored field for key; an unknown key orders like SortValue's
// default, by creation time.
func workItemSortField(key workitem.SortKey) string {
	if f, ok := workItemSortFields[key]; ok {
		return f
	}
	return "createdAtMs"
}

// nonNil stores an absent list as an empty array rather than null, so array queries and
// operators ($addToSet, $size) behave on every document.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toWorkItemDoc(w workitem.WorkItem) workItemDoc {
	return workItemDoc{
		ID: w.ID, WorkspaceID: w.WorkspaceID, Title: w.Title, Description: w.Description,
		Status: string(w.Status), Priority: string(w.Priority), AssigneeID: w.AssigneeID, DueDate: w.DueDate,
		Tags: nonNil(w.Tags), DocumentIDs: nonNil(w.DocumentIDs),
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Version: w.Version,

		CreatedAtMs:  workitem.SortValue(w, workitem.SortCreatedAt),
		UpdatedAtMs:  workitem.SortValue(w, workitem.SortUpdatedAt),
		DueSort:      workitem.SortValue(w, workitem.SortDueDate),
		PriorityRank: workitem.SortValue(w, workitem.SortPriority),
	}
}

func (d workItemDoc) workItem() workitem.WorkItem {
	var due *time.Time
	if d.DueDate != nil {
		u := d.DueDate.UTC()
		due = &u
	}
	return workitem.WorkItem{
		ID: d.ID, WorkspaceID: d.WorkspaceID, Title: d.Title, Description: d.Description,
		Status: workitem.Status(d.Status), Priority: workitem.Priority(d.Priority), AssigneeID: d.AssigneeID, DueDate: due,
		Tags: nonNil(d.Tags), DocumentIDs: nonNil(d.DocumentIDs),
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
	}
}

// WorkItems is the workitem.Repository on MongoDB: collection workItems.
type WorkItems struct {
	items *mongodriver.Collection
}

var _ workitem.Repository = (*WorkItems)(nil)

// NewWorkItems returns the work item repository on db; EnsureIndexes must have run on db.
func NewWorkItems(db *mongodriver.Database) *WorkItems {
	return &WorkItems{items: db.Collection(workItemsColl)}
}

// Create stores a new item.
func (r *WorkItems) Create(ctx context.Context, w workitem.WorkItem) error {
	if _, err := r.items.InsertOne(ctx, toWorkItemDoc(w)); err != nil {
		return storeError("mongo: insert work item: %w", err)
	}
	return nil
}

// Get returns the item or ErrNotFound. It filters on _id alone, the fast path, and checks the
// workspace afterwards.
func (r *WorkItems) Get(ctx context.Context, workspaceID, id string) (workitem.WorkItem, error) {
	var d workItemDoc
	if err := r.items.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		if isNoDocuments(err) {
			return workitem.WorkItem{}, workitem.ErrNotFound
		}
		return workitem.WorkItem{}, storeError("mongo: find work item: %w", err)
	}
	if d.WorkspaceID != workspaceID {
		return workitem.WorkItem{}, workitem.ErrNotFound
	}
	return d.workItem(), nil
}

// Update is the compare-and-set of updateVersioned. It cannot move the item: id and workspace
// are kept.
func (r *WorkItems) Update(ctx context.Context, workspaceID, id string, change func(*workitem.WorkItem) (bool, error)) (workitem.WorkItem, bool, error) {
	return updateVersioned(ctx, r.items, workspaceID, id, r.Get, toWorkItemDoc, workitem.ErrConflict, change)
}

// Delete removes the item, only from its own workspace. It takes the document lock so it never
// interleaves with an Update of the same item in this process.
func (r *WorkItems) Delete(ctx context.Context, workspaceID, id string) error {
	unlock, err := lockDoc(ctx, r.items, id)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := r.items.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspaceId", Value: workspaceID}})
	if err != nil {
		return storeError("mongo: delete work item: %w", err)
	}
	if res.DeletedCount == 0 {
		return workitem.ErrNotFound
	}
	return nil
}

// DeleteWorkspace removes every item of the workspace in one command.
func (r *WorkItems) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	if _, err := r.items.DeleteMany(ctx, bson.D{{Key: "workspaceId", Value: workspaceID}}); err != nil {
		return storeError("mongo: delete the work items of a workspace: %w", err)
	}
	return nil
}

// List returns one page of the workspace's items matching q, in q's order. The order is the
// sort field then _id, both in q's direction, and q.After resumes strictly after that pair
// (keyset paging: stable while items are inserted or deleted). A limit below one returns
// nothing (MongoDB would read 0 as "no limit").
func (r *WorkItems) List(ctx context.Context, workspaceID string, q workitem.Query) ([]workitem.WorkItem, error) {
	if q.Limit < 1 {
		return nil, nil
	}
	field := workItemSortField(q.Sort)
	dir, cmpOp := 1, "$gt"
	if q.Desc {
		dir, cmpOp = -1, "$lt"
	}
	filter := workItemFilter(workspaceID, q.Filter)
	if q.After != nil {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: field, Value: bson.D{{Key: cmpOp, Value: q.After.Value}}}},
			bson.D{{Key: field, Value: q.After.Value}, {Key: "_id", Value: bson.D{{Key: cmpOp, Value: q.After.ID}}}},
		}})
	}
	opts := options.Find().
		SetSort(bson.D{{Key: field, Value: dir}, {Key: "_id", Value: dir}}).
		SetLimit(int64(q.Limit))
	var docs []workItemDoc
	if err := findAll(ctx, r.items, filter, opts, &docs); err != nil {
		return nil, storeError("mongo: list work items: %w", err)
	}
	out := make([]workitem.WorkItem, len(docs))
	for i, d := range docs {
		out[i] = d.workItem()
	}
	return out, nil
}

// workItemFilter is the workspace plus f's non-zero fields. A due-date bound compares BSON
// dates, which never match an item whose dueDate is null.
func workItemFilter(workspaceID string, f workitem.Filter) bson.D {
	filter := bson.D{{Key: "workspaceId", Value: workspaceID}}
	if len(f.Statuses) > 0 {
		statuses := make(bson.A, len(f.Statuses))
		for i, s := range f.Statuses {
			statuses[i] = string(s)
		}
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: statuses}}})
	}
	if f.AssigneeID != "" {
		filter = append(filter, bson.E{Key: "assigneeId", Value: f.AssigneeID})
	}
	if f.Tag != "" {
		filter = append(filter, bson.E{Key: "tags", Value: f.Tag}) // an element of the array
	}
	if f.Text != "" {
		filter = append(filter, bson.E{Key: "title", Value: bson.Regex{Pattern: regexp.QuoteMeta(f.Text), Options: "i"}})
	}
	var due bson.D
	if f.DueBefore != nil {
		due = append(due, bson.E{Key: "$lt", Value: msCeil(*f.DueBefore)})
	}
	if f.DueAfter != nil {
		due = append(due, bson.E{Key: "$gt", Value: *f.DueAfter})
	}
	if due != nil {
		filter = append(filter, bson.E{Key: "dueDate", Value: due})
	}
	return filter
}

// msCeil rounds t up to a whole millisecond. BSON dates hold milliseconds and the driver
// truncates, so "before t" with a sub-millisecond t must compare with the next millisecond
// to keep a date equal to t's truncation (which is before t). "After t" needs nothing: a
// stored date is after t exactly when it is after t's truncation.
func msCeil(t time.Time) time.Time {
	if u := t.Truncate(time.Millisecond); !u.Equal(t) {
		return u.Add(time.Millisecond)
	}
	return t
}

// IDsLinkedTo returns the ids of at most limit items of the workspace that link documentID.
func (r *WorkItems) IDsLinkedTo(ctx context.Context, workspaceID, documentID string, limit int) ([]string, error) {
	if limit < 1 {
		return nil, nil
	}
	filter := bson.D{{Key: "workspaceId", Value: workspaceID}, {Key: "documentIds", Value: documentID}}
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := findAll(ctx, r.items, filter, opts, &docs); err != nil {
		return nil, storeError("mongo: find work items linking a document: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// Counts computes the overview figures in the database: one aggregation counting items per
// (status, priority) pair, summed here into both maps, and one count of the overdue items
// (due before now and not completed; a null dueDate never compares as before a date).
func (r *WorkItems) Counts(ctx context.Context, workspaceID string, now time.Time) (workitem.Counts, error) {
	pipeline := bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "workspaceId", Value: workspaceID}}}},
		bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "status", Value: "$status"}, {Key: "priority", Value: "$priority"}}},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	}
	cur, err := r.items.Aggregate(ctx, pipeline)
	if err != nil {
		return workitem.Counts{}, storeError("mongo: count work items: %w", err)
	}
	var groups []struct {
		ID struct {
			Status   string `bson:"status"`
			Priority string `bson:"priority"`
		} `bson:"_id"`
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &groups); err != nil {
		return workitem.Counts{}, storeError("mongo: count work items: %w", err)
	}
	c := workitem.Counts{ByStatus: map[workitem.Status]int{}, ByPriority: map[workitem.Priority]int{}}
	for _, g := range groups {
		c.ByStatus[workitem.Status(g.ID.Status)] += g.N
		c.ByPriority[workitem.Priority(g.ID.Priority)] += g.N
	}
	overdue := bson.D{
		{Key: "workspaceId", Value: workspaceID},
		{Key: "status", Value: bson.D{{Key: "$ne", Value: string(workitem.Completed)}}},
		{Key: "dueDate", Value: bson.D{{Key: "$lt", Value: msCeil(now)}}},
	}
	n, err := r.items.CountDocuments(ctx, overdue)
	if err != nil {
		return workitem.Counts{}, storeError("mongo: count overdue work items: %w", err)
	}
	c.Overdue = int(n)
	return c, nil
}
