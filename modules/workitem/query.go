package workitem

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/page"
)

// SortKey names what a list is ordered by. Ties are broken by id, in the same direction, so the
// order is total and a cursor names one position in it.
type SortKey string

// The sort keys.
const (
	SortCreatedAt SortKey = "createdAt"
	SortUpdatedAt SortKey = "updatedAt"
	SortDueDate   SortKey = "dueDate"
	SortPriority  SortKey = "priority"
)

// Filter narrows a list. Zero fields do not filter.
type Filter struct {
	Statuses   []Status
	AssigneeID string
	Tag        string
	Text       string // case-insensitive substring of the title
	DueBefore  *time.Time
	DueAfter   *time.Time
}

// Query is one page request: filter, order, position and size.
type Query struct {
	Filter
	Sort  SortKey
	Desc  bool
	After *Position // nil for the first page
	Limit int
}

// Position is the sort value and id of the last item of the previous page.
type Position struct {
	Value int64
	ID    string
}

// NoDueDate is the sort value of an item without a due date: such items come last in
// ascending order and first in descending order.
const NoDueDate = math.MaxInt64

// SortValue is the item's value for key as an int64: Unix milliseconds for times, the rank for
// priority. Adapters store or compute the same value to order and to resume after a Position.
func SortValue(w WorkItem, key SortKey) int64 {
	switch key {
	case SortUpdatedAt:
		return w.UpdatedAt.UnixMilli()
	case SortDueDate:
		if w.DueDate == nil {
			return NoDueDate
		}
		return w.DueDate.UnixMilli()
	case SortPriority:
		return int64(w.Priority.Rank())
	default:
		return w.CreatedAt.UnixMilli()
	}
}

// ParseSort reads "key" (ascending) or "-key" (descending); empty means "-createdAt".
func ParseSort(s string) (SortKey, bool, error) {
	if s == "" {
		return SortCreatedAt, true, nil
	}
	desc := strings.HasPrefix(s, "-")
	switch k := SortKey(strings.TrimPrefix(s, "-")); k {
	case SortCreatedAt, SortUpdatedAt, SortDueDate, SortPriority:
		return k, desc, nil
	}
	return "", false, apperr.Validation(apperr.FieldError{Field: "sort", Message: "must be createdAt, updatedAt, dueDate or priority, optionally prefixed with -"})
}

// The cursor carries the sort it was made for, so it cannot be replayed under another order.
func encodeCursor(q Query, last WorkItem) string {
	return page.EncodeCursor(string(q.Sort), strconv.FormatBool(q.Desc), strconv.FormatInt(SortValue(last, q.Sort), 10), last.ID)
}

func decodeCursor(cursor string, q Query) (*Position, error) {
	if cursor == "" {
		return nil, nil
	}
	parts, err := page.DecodeCursor(cursor, 4)
	if err != nil {
		return nil, err
	}
	v, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || parts[0] != string(q.Sort) || parts[1] != strconv.FormatBool(q.Desc) || parts[3] == "" {
		return nil, page.ErrBadCursor.WithMessage("the cursor does not belong to this sort order")
	}
	return &Position{Value: v, ID: parts[3]}, nil
}
