package bridge

import (
	"context"
	"fmt"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/webhook"
)

// This file satisfies the webhook module's ports, and wakes its dispatcher on new entries.

// WebhookLog implements webhook.Log with the audit log: the entries a webhook delivers, their
// data what a realtime event frame carries.
type WebhookLog struct{ AuditLog *auditlog.Service }

var _ webhook.Log = WebhookLog{}

// Since returns entries after afterSeq, oldest first.
func (b WebhookLog) Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]webhook.Entry, error) {
	entries, err := b.AuditLog.Since(ctx, workspaceID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("audit entries since %d: %w", afterSeq, err)
	}
	out := make([]webhook.Entry, len(entries))
	for i, e := range entries {
		out[i] = webhook.Entry{Seq: e.Seq, Event: string(e.Event), At: e.At, Data: e.EventData()}
	}
	return out, nil
}

// Head returns the workspace's latest seq.
func (b WebhookLog) Head(ctx context.Context, workspaceID string) (int64, error) {
	head, err := b.AuditLog.Head(ctx, workspaceID)
	if err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	return head, nil
}

// WebhookWakeups implements auditlog.Broadcaster: every stored entry wakes the dispatcher.
type WebhookWakeups struct{ Dispatcher *webhook.Dispatcher }

var _ auditlog.Broadcaster = WebhookWakeups{}

// Broadcast wakes the dispatcher (wakes merge; it reads the log itself).
func (b WebhookWakeups) Broadcast(context.Context, auditlog.Entry) { b.Dispatcher.Wake() }

// WebhookDispatch is the dispatcher's Run, subscribed to the audit log so that a stored entry
// is delivered at once rather than at the next poll.
type WebhookDispatch func(ctx context.Context)

// SubscribeWebhooks subscribes d to the audit log and returns its Run. The dispatcher publishes
// webhook:disabled through the log, so, as the overview's notifier, it is built on the log and
// subscribed after it.
func SubscribeWebhooks(audit *auditlog.Service, d *webhook.Dispatcher) WebhookDispatch {
	audit.Subscribe(WebhookWakeups{Dispatcher: d})
	return d.Run
}
