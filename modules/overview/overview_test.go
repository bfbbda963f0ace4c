package overview_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

var errNotFound = apperr.New(apperr.NotFound, "workspace_not_found", "workspace not found")

type memberOnly struct{ member string }

func (m memberOnly) Authorize(_ context.Context, _, uid string, _ authz.Action) error {
	if uid != m.member {
		return errNotFound
	}
	return nil
}

type figures struct{}

func (figures) WorkItemFigures(context.Context, string) (overview.WorkItemFigures, error) {
	return overview.WorkItemFigures{ByStatus: map[string]int{"DRAFT": 2}, ByPriority: map[string]int{"LOW": 2}, Overdue: 1}, nil
}

func (figures) DocumentFigures(context.Context, string) (overview.DocumentFigures, error) {
	return overview.DocumentFigures{Total: 3, ByExpiryStatus: map[string]int{"VALID": 3}}, nil
}

func (figures) MemberCount(context.Context, string) (int, error) { return 4, nil }

func TestGet(t *testing.T) {
	svc, err := overview.NewService(memberOnly{"ann"}, figures{}, figures{}, figures{}, overview.NoActivity{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.Get(context.Background(), "ann", "ws")
	if err != nil {
		t.Fatal(err)
	}
	if o.WorkItems.ByStatus["DRAFT"] != 2 || o.WorkItems.Overdue != 1 || o.Documents.Total != 3 || o.Members != 4 || o.Recent == nil {
		t.Fatalf("overview %+v", o)
	}
	if _, err := svc.Get(context.Background(), "eve", "ws"); !errors.Is(err, errNotFound) {
		t.Fatalf("outsider: %v", err)
	}
}

// signal is a Publisher that signals each overview:updated.
type signal struct{ updated chan string }

func (s *signal) Publish(_ context.Context, e events.Event) {
	if e.Name == events.OverviewUpdated {
		s.updated <- e.WorkspaceID
	}
}

func TestNotifierCoalescesBursts(t *testing.T) {
	pub := &signal{updated: make(chan string, 100)}
	// A long window: the whole burst certainly lands inside it, however slow the machine.
	n := overview.NewNotifier(pub, time.Second, clock.System{})
	defer n.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { n.Changed(ctx, "ws1", events.WorkItemStatusChanged) })
	}
	n.Changed(ctx, "ws2", events.DocumentUploaded)
	n.Changed(ctx, "ws3", events.WorkspaceUpdated) // not counted
	n.Changed(ctx, "ws3", events.OverviewUpdated)  // its own announcement moves nothing
	wg.Wait()
	got := map[string]int{}
	for range 2 {
		got[<-pub.updated]++
	}
	if got["ws1"] != 1 || got["ws2"] != 1 {
		t.Fatalf("overview:updated per workspace = %v", got)
	}
	// A later change schedules a new notification.
	n.Changed(ctx, "ws1", events.MemberJoined)
	if wid := <-pub.updated; wid != "ws1" {
		t.Fatalf("second notification for %s", wid)
	}
	select {
	case wid := <-pub.updated:
		t.Fatalf("unexpected notification for %s (ws3's events do not count)", wid)
	default:
	}
}
