// Package overview composes a workspace's dashboard figures — work items by status and
// priority, overdue items, documents by expiry status, members, recent activity — from the
// other modules through ports, and announces when they change (coalesced).
package overview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/workspaceops/workspaceops/platform/authz"
)

// RecentLimit is how many recent events the overview shows.
const RecentLimit = 10

// WorkItemFigures are the work item counts, keyed by status and priority names.
type WorkItemFigures struct {
	ByStatus   map[string]int
	ByPriority map[string]int
	Overdue    int
}

// DocumentFigures are the document counts, keyed by expiry status names.
type DocumentFigures struct {
	Total          int
	ByExpiryStatus map[string]int
}

// Activity is one recent change: an audit entry, which clients see rendered as every entry is.
type Activity struct {
	ID          string
	WorkspaceID string
	Seq         int64
	Action      string
	Event       string
	TargetType  string
	TargetID    string
	ActorID     string // "" for the system
	At          time.Time
	Data        map[string]any
}

// Overview is a workspace's dashboard.
type Overview struct {
	WorkItems WorkItemFigures
	Documents DocumentFigures
	Members   int
	Recent    []Activity
}

// WorkItemCounter computes work item figures in the database.
type WorkItemCounter interface {
	WorkItemFigures(ctx context.Context, workspaceID string) (WorkItemFigures, error)
}

// DocumentCounter computes document figures in the database.
type DocumentCounter interface {
	DocumentFigures(ctx context.Context, workspaceID string) (DocumentFigures, error)
}

// MemberCounter counts a workspace's members.
type MemberCounter interface {
	MemberCount(ctx context.Context, workspaceID string) (int, error)
}

// ActivityFeed returns the most recent events of a workspace, newest first.
type ActivityFeed interface {
	Recent(ctx context.Context, workspaceID string, limit int) ([]Activity, error)
}

// NoActivity is the feed until the audit log exists: always empty.
type NoActivity struct{}

// Recent returns nothing.
func (NoActivity) Recent(context.Context, string, int) ([]Activity, error) { return []Activity{}, nil }

// Service computes overviews.
type Service struct {
	authz     authz.Authorizer
	workItems WorkItemCounter
	documents DocumentCounter
	members   MemberCounter
	activity  ActivityFeed
}

// NewService returns the overview use case; every dependency is required.
func NewService(a authz.Authorizer, w WorkItemCounter, d DocumentCounter, m MemberCounter, f ActivityFeed) (*Service, error) {
	if a == nil || w == nil || d == nil || m == nil || f == nil {
		return nil, errors.New("overview: all dependencies are required")
	}
	return &Service{authz: a, workItems: w, documents: d, members: m, activity: f}, nil
}

// Get returns the overview of a workspace the actor may read.
func (s *Service) Get(ctx context.Context, actorID, workspaceID string) (Overview, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkspaceRead); err != nil {
		return Overview{}, err
	}
	var o Overview
	var err error
	if o.WorkItems, err = s.workItems.WorkItemFigures(ctx, workspaceID); err != nil {
		return Overview{}, fmt.Errorf("count work items: %w", err)
	}
	if o.Documents, err = s.documents.DocumentFigures(ctx, workspaceID); err != nil {
		return Overview{}, fmt.Errorf("count documents: %w", err)
	}
	if o.Members, err = s.members.MemberCount(ctx, workspaceID); err != nil {
		return Overview{}, fmt.Errorf("count members: %w", err)
	}
	if o.Recent, err = s.activity.Recent(ctx, workspaceID, RecentLimit); err != nil {
		return Overview{}, fmt.Errorf("recent activity: %w", err)
	}
	return o, nil
}
