package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/modules/workitem"
)

// WorkItems is the workitem.Repository: table work_items, with work_item_tags and
// work_item_links holding the tags and linked documents for the queries that filter on them.
type WorkItems struct{ db *DB }

var _ workitem.Repository = (*WorkItems)(nil)

// NewWorkItems returns the work item repository on db.
func NewWorkItems(db *DB) *WorkItems { return &WorkItems{db: db} }

const workItemColumns = "id, workspace_id, title, description, status, priority, assignee_id, due_at, tags, document_ids, created_by, created_at, updated_at, version"

// workItemOrders maps each sort key to the column holding workitem.SortValue of the item
// (created_at and updated_at are that value already: Unix milliseconds) and to the index
// (workspace_id, column, id) that serves it.
var workItemOrders = map[workitem.SortKey]struct{ column, index string }{
	workitem.SortCreatedAt: {"created_at", "work_items_by_created"},
	workitem.SortUpdatedAt: {"updated_at", "work_items_by_updated"},
	workitem.SortDueDate:   {"due_sort", "work_items_by_due"},
	workitem.SortPriority:  {"priority_rank", "work_items_by_priority"},
}

func scanWorkItem(row interface{ Scan(...any) error }) (workitem.WorkItem, error) {
	var (
		w                workitem.WorkItem
		status, priority string
		due              sql.NullInt64
		tags, docs       string
		created, updated int64
	)
	if err := row.Scan(&w.ID, &w.WorkspaceID, &w.Title, &w.Description, &status, &priority, &w.AssigneeID, &due,
		&tags, &docs, &w.CreatedBy, &created, &updated, &w.Version); err != nil {
		return workitem.WorkItem{}, err
	}
	w.Status, w.Priority, w.DueDate = workitem.Status(status), workitem.Priority(priority), fromMsPtr(due)
	w.CreatedAt, w.UpdatedAt = fromMs(created), fromMs(updated)
	var err error
	if w.Tags, err = decodeList(tags); err != nil {
		return workitem.WorkItem{}, fmt.Errorf("tags of work item %s: %w", w.ID, err)
	}
	if w.DocumentIDs, err = decodeList(docs); err != nil {
		return workitem.WorkItem{}, fmt.Errorf("documents of work item %s: %w", w.ID, err)
	}
	return w, nil
}

// decodeList reads a stored JSON array of strings; most are empty, and decoding "[]" with
// encoding/json was a tenth of a list page's CPU.
func decodeList(s string) ([]string, error) {
	if s == "[]" {
		return []string{}, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return nonNil(out), nil
}

// nonNil gives an absent list back as an empty one.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// workItemValues are the values of every column of work_items, in the order of the INSERT.
func workItemValues(w workitem.WorkItem) ([]any, error) {
	tags, err := json.Marshal(nonNil(w.Tags))
	if err != nil {
		return nil, err
	}
	docs, err := json.Marshal(nonNil(w.DocumentIDs))
	if err != nil {
		return nil, err
	}
	return []any{
		w.ID, w.WorkspaceID, w.Title, strings.ToLower(w.Title), w.Description, string(w.Status), string(w.Priority),
		workitem.SortValue(w, workitem.SortPriority), w.AssigneeID, msPtr(w.DueDate), workitem.SortValue(w, workitem.SortDueDate),
		string(tags), string(docs), w.CreatedBy, ms(w.CreatedAt), ms(w.UpdatedAt), w.Version,
	}, nil
}

const insertWorkItem = "INSERT INTO work_items (id, workspace_id, title, title_fold, description, status, priority, priority_rank, " +
	"assignee_id, due_at, due_sort, tags, document_ids, created_by, created_at, updated_at, version) " +
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// Create stores a new item with its tags and links, in one transaction.
func (r *WorkItems) Create(ctx context.Context, w workitem.WorkItem) error {
	vals, err := workItemValues(w)
	if err != nil {
		return storeError("sqlite: encode work item: %w", err)
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := r.db.exec(ctx, tx, insertWorkItem, vals...); err != nil {
			return storeError("sqlite: insert work item: %w", err)
		}
		return r.setSideRows(ctx, tx, w, nil, nil)
	})
}

// setSideRows brings the item's rows in work_item_tags and work_item_links from the old lists
// to w's.
func (r *WorkItems) setSideRows(ctx context.Context, tx *sql.Tx, w workitem.WorkItem, oldTags, oldDocs []string) error {
	sides := []struct {
		table, column string
		old, now      []string
	}{
		{"work_item_tags", "tag", oldTags, w.Tags},
		{"work_item_links", "document_id", oldDocs, w.DocumentIDs},
	}
	for _, s := range sides {
		for _, v := range s.old {
			if !slices.Contains(s.now, v) {
				if _, err := r.db.exec(ctx, tx, "DELETE FROM "+s.table+" WHERE item_id = ? AND "+s.column+" = ?", w.ID, v); err != nil {
					return storeError("sqlite: update %s: %w", s.table, err)
				}
			}
		}
		for _, v := range s.now {
			if !slices.Contains(s.old, v) {
				if _, err := r.db.exec(ctx, tx, "INSERT OR IGNORE INTO "+s.table+" (item_id, workspace_id, "+s.column+") VALUES (?, ?, ?)",
					w.ID, w.WorkspaceID, v); err != nil {
					return storeError("sqlite: update %s: %w", s.table, err)
				}
			}
		}
	}
	return nil
}

// Get returns the item or ErrNotFound.
func (r *WorkItems) Get(ctx context.Context, workspaceID, id string) (workitem.WorkItem, error) {
	return r.get(ctx, r.db.r, workspaceID, id)
}

func (r *WorkItems) get(ctx context.Context, q querier, workspaceID, id string) (workitem.WorkItem, error) {
	w, err := scanWorkItem(r.db.queryRow(ctx, q, "SELECT "+workItemColumns+" FROM work_items WHERE id = ? AND workspace_id = ?", id, workspaceID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return workitem.WorkItem{}, workitem.ErrNotFound
	case err != nil:
		return workitem.WorkItem{}, storeError("sqlite: find work item: %w", err)
	}
	return w, nil
}

// Update is the compare-and-set of updateVersioned. It cannot move the item: id and workspace
// are kept.
func (r *WorkItems) Update(ctx context.Context, workspaceID, id string, change func(*workitem.WorkItem) (bool, error)) (workitem.WorkItem, bool, error) {
	return updateVersioned(ctx, r.db, workspaceID, id, r.get, r.replace, workitem.ErrConflict, change)
}

// replace writes next over loaded if the row still has loaded's version, then brings the tag
// and link rows along.
func (r *WorkItems) replace(ctx context.Context, tx *sql.Tx, loaded, next workitem.WorkItem) (bool, error) {
	vals, err := workItemValues(next)
	if err != nil {
		return false, storeError("sqlite: encode work item: %w", err)
	}
	res, err := r.db.exec(ctx, tx, "UPDATE work_items SET title = ?, title_fold = ?, description = ?, status = ?, priority = ?, "+
		"priority_rank = ?, assignee_id = ?, due_at = ?, due_sort = ?, tags = ?, document_ids = ?, updated_at = ?, version = ? "+
		"WHERE id = ? AND workspace_id = ? AND version = ?",
		append(vals[2:13:13], vals[15], vals[16], loaded.ID, loaded.WorkspaceID, loaded.Version)...)
	if ok, err := matchedOne(res, err, "work item"); !ok || err != nil {
		return false, err
	}
	return true, r.setSideRows(ctx, tx, next, loaded.Tags, loaded.DocumentIDs)
}

// Delete removes the item (its tags and links go with it: ON DELETE CASCADE).
func (r *WorkItems) Delete(ctx context.Context, workspaceID, id string) error {
	res, err := r.db.exec(ctx, r.db.w, "DELETE FROM work_items WHERE id = ? AND workspace_id = ?", id, workspaceID)
	if err != nil {
		return storeError("sqlite: delete work item: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return workitem.ErrNotFound
}

// DeleteWorkspace removes every item of the workspace, with their tags and links, in one
// statement (the counts follow through the triggers).
func (r *WorkItems) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	if _, err := r.db.exec(ctx, r.db.w, "DELETE FROM work_items WHERE workspace_id = ?", workspaceID); err != nil {
		return storeError("sqlite: delete the work items of a workspace: %w", err)
	}
	return nil
}

// List returns one page of the workspace's items matching q, in q's order: the sort column
// then id, both in q's direction, strictly after q.After (keyset paging). Each order has its
// index (workspace_id, column, id), so a page reads about as many index entries as it returns
// plus those the filters skip.
func (r *WorkItems) List(ctx context.Context, workspaceID string, q workitem.Query) ([]workitem.WorkItem, error) {
	if q.Limit < 1 {
		return nil, nil
	}
	order, ok := workItemOrders[q.Sort]
	if !ok {
		order = workItemOrders[workitem.SortCreatedAt]
	}
	col := order.column
	dir, cmp := "ASC", ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	var where strings.Builder
	args := []any{workspaceID}
	where.WriteString("workspace_id = ?")
	f := q.Filter
	if len(f.Statuses) > 0 {
		where.WriteString(" AND status IN (" + placeholders(len(f.Statuses)) + ")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.AssigneeID != "" {
		where.WriteString(" AND assignee_id = ?")
		args = append(args, f.AssigneeID)
	}
	if f.Tag != "" {
		// A lookup of the (item, tag) key per item walked: a page reads about limit / (share of
		// items with the tag) entries, not every item with the tag.
		where.WriteString(" AND EXISTS (SELECT 1 FROM work_item_tags WHERE item_id = work_items.id AND tag = ?)")
		args = append(args, f.Tag)
	}
	if f.Text != "" {
		where.WriteString(" AND instr(title_fold, ?) > 0")
		args = append(args, strings.ToLower(f.Text))
	}
	// A due bound never matches an item without a due date (due_at NULL).
	if f.DueBefore != nil {
		where.WriteString(" AND due_at < ?")
		args = append(args, msCeil(*f.DueBefore))
	}
	if f.DueAfter != nil {
		where.WriteString(" AND due_at > ?")
		args = append(args, ms(*f.DueAfter))
	}
	if q.After != nil {
		where.WriteString(" AND (" + col + ", id) " + cmp + " (?, ?)")
		args = append(args, q.After.Value, q.After.ID)
	}
	args = append(args, q.Limit)
	// INDEXED BY: without statistics the planner may prefer an index that matches a filter
	// (status, say) and then sort every match; walking the order's index stops after a page.
	query := "SELECT " + workItemColumns + " FROM work_items INDEXED BY " + order.index +
		" WHERE " + where.String() + " ORDER BY " + col + " " + dir + ", id " + dir + " LIMIT ?"
	out := []workitem.WorkItem{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		w, err := scanWorkItem(rows)
		out = append(out, w)
		return err
	}, query, args...)
	if err != nil {
		return nil, storeError("sqlite: list work items: %w", err)
	}
	return out, nil
}

// IDsLinkedTo returns the ids of at most limit items of the workspace that link documentID.
func (r *WorkItems) IDsLinkedTo(ctx context.Context, workspaceID, documentID string, limit int) ([]string, error) {
	if limit < 1 {
		return nil, nil
	}
	out := []string{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		out = append(out, id)
		return err
	}, "SELECT item_id FROM work_item_links WHERE workspace_id = ? AND document_id = ? LIMIT ?", workspaceID, documentID, limit)
	if err != nil {
		return nil, storeError("sqlite: find work items linking a document: %w", err)
	}
	return out, nil
}

// Counts returns the overview figures from what triggers keep (migration 2): the counts per
// status and priority (a few rows) and the open items per due day, so that no figure reads the
// items themselves but those due today.
func (r *WorkItems) Counts(ctx context.Context, workspaceID string, now time.Time) (workitem.Counts, error) {
	c := workitem.Counts{ByStatus: map[workitem.Status]int{}, ByPriority: map[workitem.Priority]int{}}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		var status, priority string
		var n int
		if err := rows.Scan(&status, &priority, &n); err != nil {
			return err
		}
		c.ByStatus[workitem.Status(status)] += n
		c.ByPriority[workitem.Priority(priority)] += n
		return nil
	}, "SELECT status, priority, n FROM work_item_counts WHERE workspace_id = ? AND n > 0", workspaceID)
	if err != nil {
		return workitem.Counts{}, storeError("sqlite: count work items: %w", err)
	}
	// Overdue: open items due on a day before today (the per-day counts), plus today's due
	// before now (an index range of one day). A due date is overdue when before now.
	now = now.UTC()
	dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	err = r.db.queryRow(ctx, r.db.r, "SELECT (SELECT COALESCE(SUM(n), 0) FROM work_item_due_counts WHERE workspace_id = ? AND due_day < ?) + "+
		"(SELECT COUNT(*) FROM work_items WHERE workspace_id = ? AND status IN ("+placeholders(len(openStatuses))+") AND due_sort >= ? AND due_sort < ?)",
		append(append([]any{workspaceID, floorDiv(ms(dayStart), msPerDay), workspaceID}, openStatuses...), ms(dayStart), msCeil(now))...).Scan(&c.Overdue)
	if err != nil {
		return workitem.Counts{}, storeError("sqlite: count overdue work items: %w", err)
	}
	return c, nil
}

// openStatuses are the statuses in which an item can be overdue.
var openStatuses = func() []any {
	var out []any
	for _, s := range workitem.Statuses() {
		if s != workitem.Completed {
			out = append(out, string(s))
		}
	}
	return out
}()

const msPerDay = 24 * 60 * 60 * 1000

// floorDiv is a / b rounded down (Go's / truncates toward zero), as the triggers compute days.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
