package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// This file holds one delivery as it leaves: its body and headers, the record of its outcome,
// and a redelivery.

// Payload is a delivery's body.
type Payload struct {
	ID          string         `json:"id"`
	WebhookID   string         `json:"webhookId"`
	WorkspaceID string         `json:"workspaceId"`
	Seq         int64          `json:"seq"`
	Event       string         `json:"event"`
	Data        map[string]any `json:"data"`
	At          string         `json:"at"`
}

// send POSTs e to w's URL as delivery deliveryID, signed with w's secret.
func (d *Dispatcher) send(ctx context.Context, w Webhook, deliveryID string, e Entry) Response {
	body, err := json.Marshal(Payload{
		ID: deliveryID, WebhookID: w.ID, WorkspaceID: w.WorkspaceID, Seq: e.Seq, Event: e.Event, Data: e.Data,
		At: e.At.UTC().Format(time.RFC3339Nano),
	})
	if err != nil {
		return Response{Err: fmt.Errorf("encode the payload: %w", err)}
	}
	return d.sender.Send(ctx, Request{URL: w.URL, Body: body, Header: map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    UserAgent,
		HeaderEvent:     e.Event,
		HeaderDelivery:  deliveryID,
		HeaderSeq:       strconv.FormatInt(e.Seq, 10),
		HeaderSignature: Sign(w.Secret, d.clock.Now(), body),
	}})
}

// maxErrorLength bounds an attempt's error in the deliveries log.
const maxErrorLength = 300

// record writes the attempt's outcome to the deliveries log (a failure to do so is only
// logged: the delivery itself is what counts) and returns it. A failure is pending when it
// will be tried again (retried), failed otherwise.
func (d *Dispatcher) record(ctx context.Context, w Webhook, deliveryID string, e Entry, try int, retried bool, res Response) Attempt {
	a := Attempt{
		WebhookID: w.ID, WorkspaceID: w.WorkspaceID, DeliveryID: deliveryID, Seq: e.Seq, Event: e.Event, Attempt: try,
		ResponseStatus: res.Status, DurationMs: res.Duration.Milliseconds(), At: d.clock.Now(),
	}
	switch {
	case res.Err == nil && res.Status >= 200 && res.Status < 300:
		a.Status = StatusSucceeded
	case retried:
		a.Status = StatusPending
	default:
		a.Status = StatusFailed
	}
	if a.Status != StatusSucceeded {
		a.Error = describe(res, w.Secret)
	}
	if d.opts.Attempts != nil {
		d.opts.Attempts.WebhookAttempt(string(a.Status), res.Duration)
	}
	if err := d.repo.AddAttempt(context.WithoutCancel(ctx), a); err != nil {
		d.logger.WarnContext(ctx, "record a webhook delivery attempt", slog.String("webhook_id", w.ID), slog.Any("error", err))
	}
	return a
}

// describe says why an attempt failed, bounded, never with the secret.
func describe(res Response, secret string) string {
	msg := fmt.Sprintf("the receiver answered %d", res.Status)
	if res.Err != nil {
		msg = res.Err.Error()
	}
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "[secret]")
	}
	if len(msg) > maxErrorLength {
		msg = msg[:maxErrorLength]
	}
	return msg
}

// redeliverLater sends the delivery of last again in the background, as its next attempt.
func (d *Dispatcher) redeliverLater(w Webhook, last Attempt) {
	d.wg.Go(func() { d.redeliver(d.base, w, last) })
}

// redeliver sends the entry of last again with its delivery id; the outcome is recorded as
// succeeded or failed (a redelivery is not retried) and the cursor does not move.
func (d *Dispatcher) redeliver(ctx context.Context, w Webhook, last Attempt) {
	entries, err := d.log.Since(ctx, w.WorkspaceID, last.Seq-1, 1)
	if err != nil || len(entries) == 0 || entries[0].Seq != last.Seq {
		d.logger.WarnContext(ctx, "redeliver: the entry cannot be read", slog.String("webhook_id", w.ID), slog.Int64("seq", last.Seq), slog.Any("error", err))
		return
	}
	res := d.send(ctx, w, last.DeliveryID, entries[0])
	d.record(ctx, w, last.DeliveryID, entries[0], last.Attempt+1, false, res)
}
