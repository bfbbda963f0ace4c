package workitem

import (
	"context"
	"time"
)

// Repository stores work items. Every write is a compare-and-set on the version it read.
type Repository interface {
	// Create stores a new item.
	Create(ctx context.Context, w WorkItem) error
	// Get returns the item of that workspace, or ErrNotFound.
	Get(ctx context.Context, workspaceID, id string) (WorkItem, error)
	// Update loads the item, lets change modify it, and writes it back only if its version is
	// still the one loaded, incrementing it; on a lost race it reloads and calls change again
	// (a few times, then ErrConflict). change returns false to write nothing. It returns the
	// item as written (or as loaded when nothing was written) and whether it wrote.
	Update(ctx context.Context, workspaceID, id string, change func(*WorkItem) (bool, error)) (WorkItem, bool, error)
	// Delete removes the item; ErrNotFound when it is not there.
	Delete(ctx context.Context, workspaceID, id string) error
	// DeleteWorkspace removes every item of the workspace (a deleted workspace's purge).
	DeleteWorkspace(ctx context.Context, workspaceID string) error
	// List returns at most q.Limit items of the workspace matching q, in q's order, after q.After.
	List(ctx context.Context, workspaceID string, q Query) ([]WorkItem, error)
	// IDsLinkedTo returns the ids of the workspace's items that link documentID (at most limit).
	IDsLinkedTo(ctx context.Context, workspaceID, documentID string, limit int) ([]string, error)
	// Counts computes the overview figures in the database.
	Counts(ctx context.Context, workspaceID string, now time.Time) (Counts, error)
}

// Counts are the work item figures of a workspace's overview.
type Counts struct {
	ByStatus   map[Status]int
	ByPriority map[Priority]int
	Overdue    int
}

// MemberChecker tells whether a user belongs to a workspace (assignees must).
type MemberChecker interface {
	IsMember(ctx context.Context, workspaceID, userID string) (bool, error)
}

// DocumentLookup tells whether a document exists in a workspace (links must stay inside it).
type DocumentLookup interface {
	DocumentExists(ctx context.Context, workspaceID, documentID string) (bool, error)
}
