package bridge

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	auditlogmem "github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, authz.Action) error { return nil }

// entries is a broadcaster (the realtime bus's place) that passes on every entry it hears.
type entries chan auditlog.Entry

func (c entries) Broadcast(_ context.Context, e auditlog.Entry) { c <- e }

// TestEventsPipeline: a change is stored, then heard by the bus; the overview, subscribed to the
// log, then publishes overview:updated through the log, which the bus hears with the next seq.
func TestEventsPipeline(t *testing.T) {
	bus := make(entries, 10)
	audit, err := auditlog.NewService(auditlogmem.NewStore(), allowAll{}, bus, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	n := overview.NewNotifier(audit, time.Millisecond, clock.System{})
	defer n.Close()
	pub := Events(audit, n)

	pub.Publish(context.Background(), events.Event{Name: events.WorkItemCreated, WorkspaceID: "ws1", TargetType: events.TargetWorkItem, TargetID: "w1", At: time.Now()})
	for seq, want := range []events.Name{events.WorkItemCreated, events.OverviewUpdated} {
		select {
		case e := <-bus:
			if e.Event != want || e.Seq != int64(seq+1) || e.WorkspaceID != "ws1" {
				t.Fatalf("bus heard %s seq %d in %s, want %s seq %d", e.Event, e.Seq, e.WorkspaceID, want, seq+1)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("bus did not hear %s", want)
		}
	}
}
