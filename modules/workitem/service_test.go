package workitem_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workitem/memory"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

var (
	ctx    = context.Background()
	wsA    = ids.New()
	wsB    = ids.New()
	owner  = ids.New()
	member = ids.New()
	viewer = ids.New()
	stray  = ids.New()
)

var errNotFound = apperr.New(apperr.NotFound, "workspace_not_found", "workspace not found")
var errForbidden = apperr.New(apperr.Forbidden, "forbidden", "forbidden")

// roles mirrors the workspace module's permission table for the actions this module uses.
type roles map[string]string // userID -> role, in workspace wsA only

func (r roles) Authorize(_ context.Context, wid, uid string, a authz.Action) error {
	role, ok := r[uid]
	if !ok || wid != wsA {
		return errNotFound
	}
	allowed := map[authz.Action][]string{
		authz.WorkItemRead:   {"VIEWER", "MEMBER", "ADMIN", "OWNER"},
		authz.WorkItemWrite:  {"MEMBER", "ADMIN", "OWNER"},
		authz.WorkItemDelete: {"MEMBER", "ADMIN", "OWNER"},
	}[a]
	if !slices.Contains(allowed, role) {
		return errForbidden
	}
	return nil
}

func (r roles) IsMember(_ context.Context, wid, uid string) (bool, error) {
	_, ok := r[uid]
	return ok && wid == wsA, nil
}

// docs says which documents exist in which workspace.
type docs map[string]string // docID -> workspaceID

func (d docs) DocumentExists(_ context.Context, wid, id string) (bool, error) {
	return d[id] == wid, nil
}

type fixture struct {
	svc    *workitem.Service
	events *events.Recorder
	clock  *clock.Manual
	docs   docs
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{events: &events.Recorder{}, clock: clock.NewManual(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)), docs: docs{}}
	svc, err := workitem.NewService(workitem.Deps{
		Repo: memory.NewStore(), Authz: roles{owner: "OWNER", member: "MEMBER", viewer: "VIEWER"},
		Members: roles{owner: "OWNER", member: "MEMBER", viewer: "VIEWER"}, Documents: f.docs,
		Events: f.events, Clock: f.clock, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) create(t *testing.T) workitem.WorkItem {
	t.Helper()
	w, err := f.svc.Create(ctx, member, wsA, workitem.CreateInput{Title: "Ship it"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (f *fixture) lastEvent(t *testing.T) events.Event {
	t.Helper()
	evs := f.events.Events()
	if len(evs) == 0 {
		t.Fatal("no event")
	}
	return evs[len(evs)-1]
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	due := time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	w, err := f.svc.Create(ctx, member, wsA, workitem.CreateInput{
		Title: "  Write spec ", Description: "# Spec", Priority: "HIGH", AssigneeID: viewer,
		DueDate: &due, Tags: []string{"Docs", "docs", " api "},
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.Title != "Write spec" || w.Status != workitem.Draft || w.Priority != workitem.High || w.AssigneeID != viewer ||
		!w.DueDate.Equal(due) || w.DueDate.Location() != time.UTC || !slices.Equal(w.Tags, []string{"docs", "api"}) ||
		w.Version != 1 || w.CreatedBy != member || len(w.DocumentIDs) != 0 {
		t.Fatalf("created %+v", w)
	}
	if e := f.lastEvent(t); e.Name != events.WorkItemCreated || e.TargetID != w.ID || e.WorkspaceID != wsA || e.ActorID != member {
		t.Fatalf("event %+v", e)
	}
	if d, _ := f.svc.Create(ctx, member, wsA, workitem.CreateInput{Title: "x"}); d.Priority != workitem.Medium {
		t.Fatalf("default priority %s", d.Priority)
	}
}

func TestCreateValidation(t *testing.T) {
	for name, in := range map[string]workitem.CreateInput{
		"no title":          {},
		"blank title":       {Title: "   "},
		"huge title":        {Title: strings.Repeat("t", 201)},
		"control in title":  {Title: "a\x07b"},
		"huge description":  {Title: "t", Description: strings.Repeat("d", 20_001)},
		"bad priority":      {Title: "t", Priority: "CRITICAL"},
		"empty tag":         {Title: "t", Tags: []string{"ok", ""}},
		"tag with space":    {Title: "t", Tags: []string{"two words"}},
		"too many tags":     {Title: "t", Tags: strings.Split(strings.Repeat("a,", 20)+"b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v", ",")},
		"assignee stranger": {Title: "t", AssigneeID: stray},
		"assignee not id":   {Title: "t", AssigneeID: `{"$ne":""}`},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Create(ctx, member, wsA, in)
			if apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("err = %v, want a validation error", err)
			}
			if len(f.events.Events()) != 0 {
				t.Fatal("rejected input published an event")
			}
		})
	}
}

func TestPermissionsPerRole(t *testing.T) {
	f := newFixture(t)
	w := f.create(t)
	type op func(user string) error
	ops := map[string]op{
		"get":  func(u string) error { _, err := f.svc.Get(ctx, u, wsA, w.ID); return err },
		"list": func(u string) error { _, err := f.svc.List(ctx, u, wsA, workitem.ListInput{Limit: 10}); return err },
		"create": func(u string) error {
			_, err := f.svc.Create(ctx, u, wsA, workitem.CreateInput{Title: "x"})
			return err
		},
		"update": func(u string) error {
			_, err := f.svc.Update(ctx, u, wsA, w.ID, workitem.Patch{Title: ptr("y" + u)})
			return err
		},
		"status": func(u string) error {
			cur, _ := f.svc.Get(ctx, owner, wsA, w.ID)
			to := "ACTIVE"
			if cur.Status == workitem.Active {
				to = "DRAFT"
			}
			_, err := f.svc.ChangeStatus(ctx, u, wsA, w.ID, to)
			return err
		},
		"link": func(u string) error { _, err := f.svc.UnlinkDocument(ctx, u, wsA, w.ID, ids.New()); return err },
	}
	for name, run := range ops {
		for user, want := range map[string]error{owner: nil, member: nil, viewer: errForbidden, stray: errNotFound} {
			if name == "get" || name == "list" {
				if user == viewer {
					want = nil
				}
			}
			if err := run(user); !errors.Is(err, want) && !(want == nil && err == nil) {
				t.Errorf("%s by %s: %v, want %v", name, user, err, want)
			}
		}
	}
	if err := f.svc.Delete(ctx, viewer, wsA, w.ID); !errors.Is(err, errForbidden) {
		t.Errorf("viewer delete: %v", err)
	}
	if err := f.svc.Delete(ctx, member, wsA, w.ID); err != nil {
		t.Errorf("member delete: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestTransitionTable walks every (from, to) pair.
func TestTransitionTable(t *testing.T) {
	allowed := map[[2]workitem.Status]bool{
		{workitem.Draft, workitem.Active}:     true,
		{workitem.Active, workitem.Draft}:     true,
		{workitem.Active, workitem.Completed}: true,
		{workitem.Completed, workitem.Active}: true,
	}
	pathTo := map[workitem.Status][]string{
		workitem.Draft:     nil,
		workitem.Active:    {"ACTIVE"},
		workitem.Completed: {"ACTIVE", "COMPLETED"},
	}
	for _, from := range workitem.Statuses() {
		for _, to := range workitem.Statuses() {
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				f := newFixture(t)
				w := f.create(t)
				for _, s := range pathTo[from] {
					if _, err := f.svc.ChangeStatus(ctx, member, wsA, w.ID, s); err != nil {
						t.Fatal(err)
					}
				}
				before := len(f.events.Events())
				got, err := f.svc.ChangeStatus(ctx, member, wsA, w.ID, string(to))
				if allowed[[2]workitem.Status{from, to}] {
					if err != nil || got.Status != to {
						t.Fatalf("allowed move: %+v, %v", got.Status, err)
					}
					e := f.lastEvent(t)
					if e.Name != events.WorkItemStatusChanged || e.Data["from"] != string(from) || e.Data["to"] != string(to) {
						t.Fatalf("event %+v", e)
					}
					return
				}
				if !errors.Is(err, workitem.ErrInvalidTransition) || !strings.Contains(err.Error(), string(from)) {
					t.Fatalf("refused move: err = %v, want invalid_transition naming %s", err, from)
				}
				if len(f.events.Events()) != before {
					t.Fatal("a refused move published an event")
				}
				if cur, _ := f.svc.Get(ctx, member, wsA, w.ID); cur.Status != from {
					t.Fatalf("status changed to %s", cur.Status)
				}
			})
		}
	}
	f := newFixture(t)
	w := f.create(t)
	if _, err := f.svc.ChangeStatus(ctx, member, wsA, w.ID, "DONE"); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestConcurrentStatusChangesOneWins(t *testing.T) {
	f := newFixture(t)
	w := f.create(t)
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = f.svc.ChangeStatus(ctx, member, wsA, w.ID, "ACTIVE") })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, workitem.ErrInvalidTransition):
			t.Fatalf("unexpected: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent DRAFT->ACTIVE moves won, want 1", wins)
	}
}

func TestUpdateWithVersions(t *testing.T) {
	f := newFixture(t)
	w := f.create(t)
	f.clock.Advance(time.Minute)
	got, err := f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{Title: ptr("New title"), Priority: ptr("URGENT"), IfVersion: w.Version})
	if err != nil || got.Title != "New title" || got.Priority != workitem.Urgent || got.Version != 2 || !got.UpdatedAt.After(w.UpdatedAt) {
		t.Fatalf("update = %+v, %v", got, err)
	}
	if e := f.lastEvent(t); e.Name != events.WorkItemUpdated || fmt.Sprint(e.Data["fields"]) != "[title priority]" {
		t.Fatalf("event %+v", e)
	}
	// A stale If-Match loses; no precondition means last write wins.
	if _, err := f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{Title: ptr("stale"), IfVersion: 1}); !errors.Is(err, workitem.ErrVersionConflict) {
		t.Fatalf("stale version: %v", err)
	}
	if got, err := f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{Title: ptr("blind")}); err != nil || got.Title != "blind" {
		t.Fatalf("blind write: %+v, %v", got, err)
	}
	// Nothing changed: no write, no event, same version.
	before := len(f.events.Events())
	same, err := f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{Title: ptr("blind")})
	if err != nil || same.Version != 3 || len(f.events.Events()) != before {
		t.Fatalf("no-op update: version %d, %v, events %d->%d", same.Version, err, before, len(f.events.Events()))
	}
	due := f.clock.Now().Add(24 * time.Hour)
	got, _ = f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{DueDate: &due, AssigneeID: ptr(owner), Tags: &[]string{"x"}})
	if got.DueDate == nil || got.AssigneeID != owner || !slices.Equal(got.Tags, []string{"x"}) {
		t.Fatalf("set fields: %+v", got)
	}
	got, _ = f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{ClearDueDate: true, AssigneeID: ptr("")})
	if got.DueDate != nil || got.AssigneeID != "" {
		t.Fatalf("clear fields: %+v", got)
	}
	if _, err := f.svc.Update(ctx, member, wsA, w.ID, workitem.Patch{AssigneeID: ptr(stray)}); !errors.Is(err, workitem.ErrAssigneeNotMember) {
		t.Fatalf("stranger assignee: %v", err)
	}
	if _, err := f.svc.Update(ctx, member, wsA, ids.New(), workitem.Patch{Title: ptr("x")}); !errors.Is(err, workitem.ErrNotFound) {
		t.Fatalf("missing item: %v", err)
	}
}

func TestLinkingDocuments(t *testing.T) {
	f := newFixture(t)
	w := f.create(t)
	inA, inB := ids.New(), ids.New()
	f.docs[inA], f.docs[inB] = wsA, wsB
	got, err := f.svc.LinkDocument(ctx, member, wsA, w.ID, inA)
	if err != nil || !slices.Equal(got.DocumentIDs, []string{inA}) {
		t.Fatalf("link = %v, %v", got.DocumentIDs, err)
	}
	events1 := len(f.events.Events())
	again, err := f.svc.LinkDocument(ctx, member, wsA, w.ID, inA)
	if err != nil || len(again.DocumentIDs) != 1 || again.Version != got.Version || len(f.events.Events()) != events1 {
		t.Fatal("linking twice is not idempotent")
	}
	if _, err := f.svc.LinkDocument(ctx, member, wsA, w.ID, inB); !errors.Is(err, workitem.ErrDocumentNotFound) {
		t.Fatalf("linking another workspace's document: %v", err)
	}
	if _, err := f.svc.LinkDocument(ctx, member, wsA, w.ID, ids.New()); !errors.Is(err, workitem.ErrDocumentNotFound) {
		t.Fatalf("linking a missing document: %v", err)
	}
	got, err = f.svc.UnlinkDocument(ctx, member, wsA, w.ID, inA)
	if err != nil || len(got.DocumentIDs) != 0 || f.lastEvent(t).Name != events.WorkItemDocumentUnlinked {
		t.Fatalf("unlink = %v, %v", got.DocumentIDs, err)
	}
	if _, err := f.svc.UnlinkDocument(ctx, member, wsA, w.ID, inA); err != nil {
		t.Fatalf("unlinking twice: %v", err)
	}
}

func TestUnlinkEverywhere(t *testing.T) {
	f := newFixture(t)
	doc := ids.New()
	f.docs[doc] = wsA
	var linked []string
	for range 3 {
		w := f.create(t)
		if _, err := f.svc.LinkDocument(ctx, member, wsA, w.ID, doc); err != nil {
			t.Fatal(err)
		}
		linked = append(linked, w.ID)
	}
	untouched := f.create(t)
	if err := f.svc.UnlinkEverywhere(ctx, owner, wsA, doc); err != nil {
		t.Fatal(err)
	}
	for _, id := range append(linked, untouched.ID) {
		if w, _ := f.svc.Get(ctx, owner, wsA, id); len(w.DocumentIDs) != 0 {
			t.Fatalf("%s still links %v", id, w.DocumentIDs)
		}
	}
	unlinked := 0
	for _, e := range f.events.Events() {
		if e.Name == events.WorkItemDocumentUnlinked {
			unlinked++
		}
	}
	if unlinked != 3 {
		t.Fatalf("%d unlink events, want 3", unlinked)
	}
}

func TestListPagesWithCursor(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		if _, err := f.svc.Create(ctx, member, wsA, workitem.CreateInput{Title: fmt.Sprint("item ", i), Priority: []string{"LOW", "URGENT"}[i%2]}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
	}
	var titles []string
	in := workitem.ListInput{Sort: "-priority", Limit: 2}
	for range 5 {
		p, err := f.svc.List(ctx, viewer, wsA, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range p.Items {
			titles = append(titles, w.Title+"/"+string(w.Priority))
		}
		if p.NextCursor == "" {
			break
		}
		in.Cursor = p.NextCursor
	}
	if len(titles) != 5 || !strings.HasSuffix(titles[0], "URGENT") || !strings.HasSuffix(titles[4], "LOW") {
		t.Fatalf("paged %v", titles)
	}
	// A cursor is bound to its sort.
	p, _ := f.svc.List(ctx, viewer, wsA, workitem.ListInput{Sort: "createdAt", Limit: 1})
	if _, err := f.svc.List(ctx, viewer, wsA, workitem.ListInput{Sort: "-createdAt", Cursor: p.NextCursor, Limit: 1}); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("cursor reused under another sort: %v", err)
	}
	if _, err := f.svc.List(ctx, viewer, wsA, workitem.ListInput{Sort: "title", Limit: 1}); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("bad sort: %v", err)
	}
}

// vanishingDocs is a document deleted right after the link's first look: it exists once.
type vanishingDocs struct{ looks int }

func (v *vanishingDocs) DocumentExists(context.Context, string, string) (bool, error) {
	v.looks++
	return v.looks == 1, nil
}

// A document deleted while it is being linked leaves no link behind: the link is taken back and
// answered 404, and no linked event is published.
func TestLinkRacingTheDocumentsDeletion(t *testing.T) {
	f := newFixture(t)
	recorder := &events.Recorder{}
	svc, err := workitem.NewService(workitem.Deps{
		Repo: memory.NewStore(), Authz: roles{member: "MEMBER"}, Members: roles{member: "MEMBER"}, Documents: &vanishingDocs{},
		Events: recorder, Clock: f.clock, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := svc.Create(ctx, member, wsA, workitem.CreateInput{Title: "Ship it"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LinkDocument(ctx, member, wsA, w.ID, "doc1"); !errors.Is(err, workitem.ErrDocumentNotFound) {
		t.Fatalf("link to a document deleted meanwhile: %v, want ErrDocumentNotFound", err)
	}
	got, err := svc.Get(ctx, member, wsA, w.ID)
	if err != nil || len(got.DocumentIDs) != 0 {
		t.Fatalf("the item links %v after the race (%v)", got.DocumentIDs, err)
	}
	for _, e := range recorder.Events() {
		if e.Name == events.WorkItemDocumentLinked {
			t.Fatal("a linked event was published for a link taken back")
		}
	}
}
