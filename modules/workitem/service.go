package workitem

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/page"
)

// Service holds the work item use cases.
type Service struct {
	repo      Repository
	authz     authz.Authorizer
	members   MemberChecker
	documents DocumentLookup
	events    events.Publisher
	clock     clock.Clock
	log       *slog.Logger
}

// Deps are the Service's dependencies; every field is required.
type Deps struct {
	Repo      Repository
	Authz     authz.Authorizer
	Members   MemberChecker
	Documents DocumentLookup
	Events    events.Publisher
	Clock     clock.Clock
	Log       *slog.Logger
}

// NewService returns the work item use cases.
func NewService(d Deps) (*Service, error) {
	if d.Repo == nil || d.Authz == nil || d.Members == nil || d.Documents == nil || d.Events == nil || d.Clock == nil || d.Log == nil {
		return nil, errors.New("workitem: all dependencies are required")
	}
	return &Service{repo: d.Repo, authz: d.Authz, members: d.Members, documents: d.Documents, events: d.Events, clock: d.Clock, log: d.Log}, nil
}

// publish announces c in workspaceID, made by actorID now.
func (s *Service) publish(ctx context.Context, c events.Change, workspaceID, actorID string) {
	s.events.Publish(ctx, c.Event(workspaceID, actorID, s.clock.Now()))
}

// CreateInput is a new work item. Empty Priority means MEDIUM.
type CreateInput struct {
	Title       string
	Description string
	Priority    string
	AssigneeID  string
	DueDate     *time.Time
	Tags        []string
}

// Create adds a work item in DRAFT.
func (s *Service) Create(ctx context.Context, actorID, workspaceID string, in CreateInput) (WorkItem, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemWrite); err != nil {
		return WorkItem{}, err
	}
	var fields apperr.Fields
	title := normalizeTitle(in.Title, &fields)
	checkDescription(in.Description, &fields)
	tags := normalizeTags(in.Tags, &fields)
	priority := Medium
	if in.Priority != "" {
		p, err := ParsePriority(in.Priority)
		if err != nil {
			fields.Add("priority", "must be one of LOW, MEDIUM, HIGH, URGENT")
		}
		priority = p
	}
	if err := fields.Err(); err != nil {
		return WorkItem{}, err
	}
	if err := s.checkAssignee(ctx, workspaceID, in.AssigneeID); err != nil {
		return WorkItem{}, err
	}
	now := s.clock.Now()
	w := WorkItem{
		ID: ids.New(), WorkspaceID: workspaceID, Title: title, Description: in.Description,
		Status: Draft, Priority: priority, AssigneeID: in.AssigneeID, DueDate: utcPtr(in.DueDate),
		Tags: tags, DocumentIDs: []string{}, CreatedBy: actorID, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := s.repo.Create(ctx, w); err != nil {
		return WorkItem{}, fmt.Errorf("create work item: %w", err)
	}
	s.publish(ctx, events.NewWorkItemCreated(w.ID, string(w.Status)), w.WorkspaceID, actorID)
	return w, nil
}

func (s *Service) checkAssignee(ctx context.Context, workspaceID, assigneeID string) error {
	if assigneeID == "" {
		return nil
	}
	if !ids.Valid(assigneeID) {
		return ErrAssigneeNotMember
	}
	ok, err := s.members.IsMember(ctx, workspaceID, assigneeID)
	if err != nil {
		return fmt.Errorf("check assignee: %w", err)
	}
	if !ok {
		return ErrAssigneeNotMember
	}
	return nil
}

// Get returns one work item.
func (s *Service) Get(ctx context.Context, actorID, workspaceID, id string) (WorkItem, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemRead); err != nil {
		return WorkItem{}, err
	}
	return s.repo.Get(ctx, workspaceID, id)
}

// ListInput is a list request as the caller sends it.
type ListInput struct {
	Filter
	Sort   string // "key" or "-key"
	Cursor string
	Limit  int
}

// List returns one page of the workspace's work items.
func (s *Service) List(ctx context.Context, actorID, workspaceID string, in ListInput) (page.Page[WorkItem], error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemRead); err != nil {
		return page.Page[WorkItem]{}, err
	}
	key, desc, err := ParseSort(in.Sort)
	if err != nil {
		return page.Page[WorkItem]{}, err
	}
	q := Query{Filter: in.Filter, Sort: key, Desc: desc, Limit: in.Limit + 1}
	if q.Tag != "" {
		q.Tag = strings.ToLower(strings.TrimSpace(q.Tag))
	}
	if q.After, err = decodeCursor(in.Cursor, q); err != nil {
		return page.Page[WorkItem]{}, err
	}
	items, err := s.repo.List(ctx, workspaceID, q)
	if err != nil {
		return page.Page[WorkItem]{}, fmt.Errorf("list work items: %w", err)
	}
	var out page.Page[WorkItem]
	if len(items) > in.Limit {
		items = items[:in.Limit]
		out.NextCursor = encodeCursor(q, items[len(items)-1])
	}
	out.Items = items
	return out, nil
}

// Patch is a metadata edit; nil fields are left alone. ClearAssignee and ClearDueDate unset.
type Patch struct {
	Title        *string
	Description  *string
	Priority     *string
	AssigneeID   *string // "" unassigns
	DueDate      *time.Time
	ClearDueDate bool
	Tags         *[]string
	IfVersion    int64 // 0: no precondition (last write wins)
}

// Update edits metadata. With IfVersion set, the edit applies only to that version, else
// ErrVersionConflict; without it, the last write wins.
func (s *Service) Update(ctx context.Context, actorID, workspaceID, id string, p Patch) (WorkItem, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemWrite); err != nil {
		return WorkItem{}, err
	}
	var fields apperr.Fields
	var title string
	if p.Title != nil {
		title = normalizeTitle(*p.Title, &fields)
	}
	if p.Description != nil {
		checkDescription(*p.Description, &fields)
	}
	var priority Priority
	if p.Priority != nil {
		var err error
		if priority, err = ParsePriority(*p.Priority); err != nil {
			fields.Add("priority", "must be one of LOW, MEDIUM, HIGH, URGENT")
		}
	}
	var tags []string
	if p.Tags != nil {
		tags = normalizeTags(*p.Tags, &fields)
	}
	if p.DueDate != nil && p.ClearDueDate {
		fields.Add("dueDate", "cannot be set and cleared at once")
	}
	if err := fields.Err(); err != nil {
		return WorkItem{}, err
	}
	if p.AssigneeID != nil {
		if err := s.checkAssignee(ctx, workspaceID, *p.AssigneeID); err != nil {
			return WorkItem{}, err
		}
	}
	var changed []string
	w, wrote, err := s.repo.Update(ctx, workspaceID, id, func(w *WorkItem) (bool, error) {
		if p.IfVersion != 0 && w.Version != p.IfVersion {
			return false, ErrVersionConflict
		}
		changed = changed[:0]
		set := func(name string, differs bool, apply func()) {
			if differs {
				apply()
				changed = append(changed, name)
			}
		}
		if p.Title != nil {
			set("title", w.Title != title, func() { w.Title = title })
		}
		if p.Description != nil {
			set("description", w.Description != *p.Description, func() { w.Description = *p.Description })
		}
		if p.Priority != nil {
			set("priority", w.Priority != priority, func() { w.Priority = priority })
		}
		if p.AssigneeID != nil {
			set("assigneeId", w.AssigneeID != *p.AssigneeID, func() { w.AssigneeID = *p.AssigneeID })
		}
		if p.DueDate != nil {
			set("dueDate", w.DueDate == nil || !w.DueDate.Equal(*p.DueDate), func() { w.DueDate = utcPtr(p.DueDate) })
		}
		if p.ClearDueDate {
			set("dueDate", w.DueDate != nil, func() { w.DueDate = nil })
		}
		if p.Tags != nil {
			set("tags", !slices.Equal(w.Tags, tags), func() { w.Tags = tags })
		}
		if len(changed) == 0 {
			return false, nil
		}
		w.UpdatedAt = s.clock.Now()
		return true, nil
	})
	if err != nil {
		return WorkItem{}, err
	}
	if wrote {
		s.publish(ctx, events.NewWorkItemUpdated(w.ID, slices.Clone(changed)), w.WorkspaceID, actorID)
	}
	return w, nil
}

// ChangeStatus moves a work item along its lifecycle. The write is conditional on the status
// read, so of two concurrent conflicting moves exactly one wins and the other gets
// ErrInvalidTransition naming the status it found.
func (s *Service) ChangeStatus(ctx context.Context, actorID, workspaceID, id, status string) (WorkItem, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemWrite); err != nil {
		return WorkItem{}, err
	}
	to, err := ParseStatus(status)
	if err != nil {
		return WorkItem{}, err
	}
	var from Status
	w, _, err := s.repo.Update(ctx, workspaceID, id, func(w *WorkItem) (bool, error) {
		from = w.Status
		if err := w.MoveTo(to, s.clock.Now()); err != nil {
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return WorkItem{}, err
	}
	s.publish(ctx, events.NewWorkItemStatusChanged(w.ID, string(from), string(to)), w.WorkspaceID, actorID)
	return w, nil
}

// Delete removes a work item.
func (s *Service) Delete(ctx context.Context, actorID, workspaceID, id string) error {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemDelete); err != nil {
		return err
	}
	if err := s.repo.Delete(ctx, workspaceID, id); err != nil {
		return err
	}
	s.publish(ctx, events.NewWorkItemDeleted(id), workspaceID, actorID)
	return nil
}

// LinkDocument links a document of the same workspace; linking twice changes nothing.
func (s *Service) LinkDocument(ctx context.Context, actorID, workspaceID, id, documentID string) (WorkItem, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemWrite); err != nil {
		return WorkItem{}, err
	}
	ok, err := s.documents.DocumentExists(ctx, workspaceID, documentID)
	if err != nil {
		return WorkItem{}, fmt.Errorf("look up document: %w", err)
	}
	if !ok {
		return WorkItem{}, ErrDocumentNotFound
	}
	w, wrote, err := s.repo.Update(ctx, workspaceID, id, func(w *WorkItem) (bool, error) {
		return w.LinkDocument(documentID, s.clock.Now())
	})
	if err != nil {
		return WorkItem{}, err
	}
	if !wrote {
		return w, nil
	}
	// A delete of the document may have run between the check and the write: it removes the
	// document, then its links, so a link written after that unlinking would dangle. Looking
	// again after the write closes the gap: a document still there now will have this link
	// removed by its deletion's unlinking; one gone already means this link is taken back.
	if ok, err := s.documents.DocumentExists(ctx, workspaceID, documentID); err != nil || !ok {
		if _, _, uerr := s.repo.Update(ctx, workspaceID, id, s.dropLink(documentID)); uerr != nil {
			return WorkItem{}, errors.Join(err, fmt.Errorf("take back a link to a deleted document: %w", uerr))
		}
		if err != nil {
			return WorkItem{}, fmt.Errorf("look up document: %w", err)
		}
		return WorkItem{}, ErrDocumentNotFound
	}
	s.publish(ctx, events.NewWorkItemDocumentLinked(w.ID, documentID), w.WorkspaceID, actorID)
	return w, nil
}

// PurgeWorkspace deletes every work item of a deleted workspace, without events (the
// workspace's deletion is the event). It does not authorize: the workspace module calls it
// (through its ContentPurger port) after deleting the workspace, which it authorized.
func (s *Service) PurgeWorkspace(ctx context.Context, workspaceID string) error {
	if err := s.repo.DeleteWorkspace(ctx, workspaceID); err != nil {
		return fmt.Errorf("purge work items: %w", err)
	}
	return nil
}

// UnlinkDocument removes a link; unlinking what is not linked changes nothing.
func (s *Service) UnlinkDocument(ctx context.Context, actorID, workspaceID, id, documentID string) (WorkItem, error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.WorkItemWrite); err != nil {
		return WorkItem{}, err
	}
	return s.unlink(ctx, actorID, workspaceID, id, documentID)
}

func (s *Service) unlink(ctx context.Context, actorID, workspaceID, id, documentID string) (WorkItem, error) {
	w, wrote, err := s.repo.Update(ctx, workspaceID, id, s.dropLink(documentID))
	if err != nil {
		return WorkItem{}, err
	}
	if wrote {
		s.publish(ctx, events.NewWorkItemDocumentUnlinked(w.ID, documentID), w.WorkspaceID, actorID)
	}
	return w, nil
}

// dropLink is the change that removes documentID from an item's links (none when not linked).
func (s *Service) dropLink(documentID string) func(*WorkItem) (bool, error) {
	return func(w *WorkItem) (bool, error) {
		return w.UnlinkDocument(documentID, s.clock.Now()), nil
	}
}

// unlinkBatch bounds one pass of UnlinkEverywhere; it loops until no item links the document.
const unlinkBatch = 200

// UnlinkEverywhere removes a deleted document from every work item of its workspace. The
// document module calls it (through its LinkRemover port) after the actor was authorized to
// delete the document.
func (s *Service) UnlinkEverywhere(ctx context.Context, actorID, workspaceID, documentID string) error {
	for {
		itemIDs, err := s.repo.IDsLinkedTo(ctx, workspaceID, documentID, unlinkBatch)
		if err != nil {
			return fmt.Errorf("find linked work items: %w", err)
		}
		if len(itemIDs) == 0 {
			return nil
		}
		for _, id := range itemIDs {
			if _, err := s.unlink(ctx, actorID, workspaceID, id, documentID); err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("unlink from %s: %w", id, err)
			}
		}
	}
}

// Counts returns the work item figures of a workspace's overview; the caller authorizes.
func (s *Service) Counts(ctx context.Context, workspaceID string) (Counts, error) {
	return s.repo.Counts(ctx, workspaceID, s.clock.Now())
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}
