package workitem

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/text"
)

// Limits on work item fields.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 20_000
	MaxTags           = 20
	MaxTagLen         = 40
	MaxDocuments      = 100
)

// Status is a work item's place in its lifecycle.
type Status string

// The statuses.
const (
	Draft     Status = "DRAFT"
	Active    Status = "ACTIVE"
	Completed Status = "COMPLETED"
)

// transitions is the lifecycle: the statuses each status may move to.
var transitions = map[Status][]Status{
	Draft:     {Active},
	Active:    {Draft, Completed},
	Completed: {Active},
}

// Statuses lists every status.
func Statuses() []Status { return []Status{Draft, Active, Completed} }

// ParseStatus reads a status name.
func ParseStatus(s string) (Status, error) {
	if _, ok := transitions[Status(s)]; ok {
		return Status(s), nil
	}
	return "", apperr.Validation(apperr.FieldError{Field: "status", Message: "must be one of DRAFT, ACTIVE, COMPLETED"})
}

// CanMoveTo reports whether the lifecycle allows moving from s to t.
func (s Status) CanMoveTo(t Status) bool { return slices.Contains(transitions[s], t) }

// Priority is how urgent a work item is.
type Priority string

// The priorities, lowest first.
const (
	Low    Priority = "LOW"
	Medium Priority = "MEDIUM"
	High   Priority = "HIGH"
	Urgent Priority = "URGENT"
)

// Priorities lists every priority, lowest first.
func Priorities() []Priority { return []Priority{Low, Medium, High, Urgent} }

// Rank orders priorities: LOW 1 .. URGENT 4; 0 for an unknown one.
func (p Priority) Rank() int { return slices.Index(Priorities(), p) + 1 }

// ParsePriority reads a priority name.
func ParsePriority(s string) (Priority, error) {
	if Priority(s).Rank() > 0 {
		return Priority(s), nil
	}
	return "", apperr.Validation(apperr.FieldError{Field: "priority", Message: "must be one of LOW, MEDIUM, HIGH, URGENT"})
}

// WorkItem is a unit of work in a workspace.
type WorkItem struct {
	ID          string
	WorkspaceID string
	Title       string
	Description string
	Status      Status
	Priority    Priority
	AssigneeID  string     // "" when unassigned
	DueDate     *time.Time // nil when none
	Tags        []string
	DocumentIDs []string
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version counts writes; every write increments it and is conditional on the version read.
	Version int64
}

// Clone copies w deeply enough that changing the copy (its lists, its due date) leaves w as it
// was: repositories hand change functions a clone of what they loaded.
func (w WorkItem) Clone() WorkItem {
	w.Tags = slices.Clone(w.Tags)
	w.DocumentIDs = slices.Clone(w.DocumentIDs)
	if w.DueDate != nil {
		d := *w.DueDate
		w.DueDate = &d
	}
	return w
}

// Revision returns Version, for the generic stores of platform/versioned (a constraint can
// ask for a method, not a field).
func (w WorkItem) Revision() int64 { return w.Version }

// Succeed makes w the version a store writes over prev: a change cannot move an item to another
// id or workspace, and every write increments the version.
func (w *WorkItem) Succeed(prev WorkItem) {
	w.ID, w.WorkspaceID, w.Version = prev.ID, prev.WorkspaceID, prev.Version+1
}

// MoveTo moves the item to status `to` at `at` if the lifecycle allows it, else it returns
// ErrInvalidTransition naming both statuses and leaves the item as it was.
func (w *WorkItem) MoveTo(to Status, at time.Time) error {
	if !w.Status.CanMoveTo(to) {
		return ErrInvalidTransition.WithMessage(fmt.Sprintf("a %s work item cannot move to %s", w.Status, to))
	}
	w.Status, w.UpdatedAt = to, at
	return nil
}

// LinkDocument adds documentID to the item's links at `at` and reports whether it did: linking
// twice changes nothing, and an item links at most MaxDocuments (ErrTooManyDocuments). The list
// is copied before it grows, so a shallow copy of the item keeps its own.
func (w *WorkItem) LinkDocument(documentID string, at time.Time) (bool, error) {
	if slices.Contains(w.DocumentIDs, documentID) {
		return false, nil
	}
	if len(w.DocumentIDs) >= MaxDocuments {
		return false, ErrTooManyDocuments
	}
	w.DocumentIDs = append(slices.Clone(w.DocumentIDs), documentID)
	w.UpdatedAt = at
	return true, nil
}

// UnlinkDocument removes documentID from the item's links at `at` and reports whether it was
// linked. Like LinkDocument it changes a copy of the list, never one a shallow copy shares.
func (w *WorkItem) UnlinkDocument(documentID string, at time.Time) bool {
	i := slices.Index(w.DocumentIDs, documentID)
	if i < 0 {
		return false
	}
	w.DocumentIDs = slices.Delete(slices.Clone(w.DocumentIDs), i, i+1)
	w.UpdatedAt = at
	return true
}

// Overdue reports whether the item is past its due date and not completed at now.
func (w WorkItem) Overdue(now time.Time) bool {
	return w.DueDate != nil && w.Status != Completed && w.DueDate.Before(now)
}

func normalizeTitle(title string, fields *apperr.Fields) string {
	title, problem := text.Line(title, MaxTitleLen)
	if problem != "" {
		fields.Add("title", problem)
	}
	return title
}

func checkDescription(d string, fields *apperr.Fields) {
	if utf8.RuneCountInString(d) > MaxDescriptionLen {
		fields.Add("description", "must be at most 20000 characters")
	} else if !utf8.ValidString(d) {
		fields.Add("description", "must be valid UTF-8")
	}
}

// normalizeTags trims, lower-cases and de-duplicates tags, keeping their order.
func normalizeTags(tags []string, fields *apperr.Fields) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
			fields.Add("tags", "must not contain empty tags")
			return nil
		case utf8.RuneCountInString(t) > MaxTagLen:
			fields.Add("tags", "each tag must be at most 40 characters")
			return nil
		case strings.IndexFunc(t, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
			fields.Add("tags", "tags must not contain spaces or control characters")
			return nil
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		fields.Add("tags", "at most 20 tags")
		return nil
	}
	return out
}
