package bridge

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	auditlogmem "github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/platform/events"
)

// A webhook reads the entries after its cursor with the data a realtime frame carries.
func TestWebhookLog(t *testing.T) {
	ctx := context.Background()
	audit, err := auditlog.NewService(auditlogmem.NewStore(), allowAll{}, auditlog.NoBroadcast{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, c := range []events.Change{events.NewWorkItemCreated("w1", "DRAFT"), events.NewWorkItemDeleted("w1")} {
		audit.Publish(ctx, c.Event("ws1", "u1", at))
	}
	lg := WebhookLog{AuditLog: audit}
	if head, err := lg.Head(ctx, "ws1"); head != 2 || err != nil {
		t.Fatalf("Head = %d, %v", head, err)
	}
	got, err := lg.Since(ctx, "ws1", 1, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("Since = %v, %v", got, err)
	}
	stored, _ := audit.Since(ctx, "ws1", 1, 1)
	if got[0].Seq != 2 || got[0].Event != "work-item:deleted" || !got[0].At.Equal(at) || !reflect.DeepEqual(got[0].Data, stored[0].EventData()) ||
		got[0].Data["action"] != "WORK_ITEM_DELETED" || got[0].Data["actorId"] != "u1" {
		t.Fatalf("entry %+v", got[0])
	}
}
