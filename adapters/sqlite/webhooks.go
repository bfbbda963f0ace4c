package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/workspaceops/workspaceops/modules/webhook"
)

// Webhooks is the webhook.Repository: tables webhooks and webhook_attempts.
type Webhooks struct{ db *DB }

var _ webhook.Repository = (*Webhooks)(nil)

// NewWebhooks returns the webhook repository on db.
func NewWebhooks(db *DB) *Webhooks { return &Webhooks{db: db} }

const webhookColumns = "id, workspace_id, url, events, secret, active, disabled_reason, cursor, generation, " +
	"pending_delivery_id, pending_seq, pending_attempt, pending_next_at, lease_owner, lease_until, created_by, created_at, updated_at, version"

func scanWebhook(row interface{ Scan(...any) error }) (webhook.Webhook, error) {
	var (
		w                             webhook.Webhook
		evs                           string
		p                             webhook.Pending
		next, lease, created, updated int64
	)
	if err := row.Scan(&w.ID, &w.WorkspaceID, &w.URL, &evs, &w.Secret, &w.Active, &w.DisabledReason, &w.Cursor, &w.Generation,
		&p.DeliveryID, &p.Seq, &p.Attempt, &next, &w.LeaseOwner, &lease, &w.CreatedBy, &created, &updated, &w.Version); err != nil {
		return webhook.Webhook{}, err
	}
	if err := json.Unmarshal([]byte(evs), &w.Events); err != nil {
		return webhook.Webhook{}, storeError("sqlite: events of webhook %s: %w", w.ID, err)
	}
	if p.DeliveryID != "" {
		p.NextAt = fromMs(next)
		w.Pending = &p
	}
	w.LeaseUntil, w.CreatedAt, w.UpdatedAt = fromMsOrZero(lease), fromMs(created), fromMs(updated)
	return w, nil
}

// fromMsOrZero reads a time stored by msOrZero.
func fromMsOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMs(v)
}

// msOrZero stores the zero time (no lease) as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// webhookValues are w's column values in webhookColumns' order.
func webhookValues(w webhook.Webhook) ([]any, error) {
	evs, err := json.Marshal(w.Events)
	if err != nil {
		return nil, err
	}
	var p webhook.Pending
	var next int64
	if w.Pending != nil {
		p, next = *w.Pending, ms(w.Pending.NextAt)
	}
	return []any{w.ID, w.WorkspaceID, w.URL, string(evs), w.Secret, w.Active, w.DisabledReason, w.Cursor, w.Generation,
		p.DeliveryID, p.Seq, p.Attempt, next, w.LeaseOwner, msOrZero(w.LeaseUntil), w.CreatedBy, ms(w.CreatedAt), ms(w.UpdatedAt), w.Version}, nil
}

// Create stores a new webhook.
func (r *Webhooks) Create(ctx context.Context, w webhook.Webhook) error {
	values, err := webhookValues(w)
	if err != nil {
		return storeError("sqlite: encode webhook: %w", err)
	}
	if _, err := r.db.exec(ctx, r.db.w, "INSERT INTO webhooks ("+webhookColumns+") VALUES ("+placeholders(len(values))+")", values...); err != nil {
		return storeError("sqlite: insert webhook: %w", err)
	}
	return nil
}

// Get returns the webhook of the workspace, or ErrNotFound.
func (r *Webhooks) Get(ctx context.Context, workspaceID, id string) (webhook.Webhook, error) {
	return r.get(ctx, r.db.r, workspaceID, id)
}

func (r *Webhooks) get(ctx context.Context, q querier, workspaceID, id string) (webhook.Webhook, error) {
	w, err := scanWebhook(r.db.queryRow(ctx, q, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ? AND workspace_id = ?", id, workspaceID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return webhook.Webhook{}, webhook.ErrNotFound
	case err != nil:
		return webhook.Webhook{}, storeError("sqlite: find webhook: %w", err)
	}
	return w, nil
}

// List returns a page of the workspace's webhooks by id, over the index (workspace_id, id).
func (r *Webhooks) List(ctx context.Context, workspaceID, afterID string, limit int) ([]webhook.Webhook, error) {
	return r.list(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?", workspaceID, afterID, limit)
}

// Active returns a page of every workspace's active webhooks by id, over the index (active, id).
func (r *Webhooks) Active(ctx context.Context, afterID string, limit int) ([]webhook.Webhook, error) {
	return r.list(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE active = 1 AND id > ? ORDER BY id LIMIT ?", afterID, limit)
}

func (r *Webhooks) list(ctx context.Context, query string, args ...any) ([]webhook.Webhook, error) {
	var out []webhook.Webhook
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		w, err := scanWebhook(rows)
		out = append(out, w)
		return err
	}, query, args...)
	if err != nil {
		return nil, storeError("sqlite: list webhooks: %w", err)
	}
	return out, nil
}

// Count counts the workspace's webhooks.
func (r *Webhooks) Count(ctx context.Context, workspaceID string) (int, error) {
	var n int
	if err := r.db.queryRow(ctx, r.db.r, "SELECT COUNT(*) FROM webhooks WHERE workspace_id = ?", workspaceID).Scan(&n); err != nil {
		return 0, storeError("sqlite: count webhooks: %w", err)
	}
	return n, nil
}

// Update is the compare-and-set of updateVersioned.
func (r *Webhooks) Update(ctx context.Context, workspaceID, id string, change func(*webhook.Webhook) (bool, error)) (webhook.Webhook, bool, error) {
	return updateVersioned(ctx, r.db, workspaceID, id, r.get, r.replace, webhook.ErrConflict, change)
}

func (r *Webhooks) replace(ctx context.Context, tx *sql.Tx, loaded, next webhook.Webhook) (bool, error) {
	values, err := webhookValues(next)
	if err != nil {
		return false, storeError("sqlite: encode webhook: %w", err)
	}
	// Every column but id, workspace_id, created_by and created_at, which a change never moves.
	res, err := r.db.exec(ctx, tx, "UPDATE webhooks SET url = ?, events = ?, secret = ?, active = ?, disabled_reason = ?, cursor = ?, generation = ?, "+
		"pending_delivery_id = ?, pending_seq = ?, pending_attempt = ?, pending_next_at = ?, lease_owner = ?, lease_until = ?, "+
		"updated_at = ?, version = ? WHERE id = ? AND workspace_id = ? AND version = ?",
		append(append(values[2:15:15], values[17], values[18]), loaded.ID, loaded.WorkspaceID, loaded.Version)...)
	return matchedOne(res, err, "webhook")
}

// Delete removes the webhook and its deliveries log.
func (r *Webhooks) Delete(ctx context.Context, workspaceID, id string) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := r.db.exec(ctx, tx, "DELETE FROM webhooks WHERE id = ? AND workspace_id = ?", id, workspaceID)
		if err != nil {
			return storeError("sqlite: delete webhook: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return webhook.ErrNotFound
		}
		if _, err := r.db.exec(ctx, tx, "DELETE FROM webhook_attempts WHERE webhook_id = ?", id); err != nil {
			return storeError("sqlite: delete webhook deliveries: %w", err)
		}
		return nil
	})
}

// DeleteWorkspace removes the workspace's webhooks and their deliveries logs, in one
// transaction, over the indexes on workspace_id.
func (r *Webhooks) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := r.db.exec(ctx, tx, "DELETE FROM webhook_attempts WHERE workspace_id = ?", workspaceID); err != nil {
			return storeError("sqlite: delete a workspace's webhook deliveries: %w", err)
		}
		if _, err := r.db.exec(ctx, tx, "DELETE FROM webhooks WHERE workspace_id = ?", workspaceID); err != nil {
			return storeError("sqlite: delete a workspace's webhooks: %w", err)
		}
		return nil
	})
}

const attemptColumns = "webhook_id, k, workspace_id, delivery_id, seq, event, attempt, status, response_status, duration_ms, error, at"

func scanAttempt(row interface{ Scan(...any) error }) (webhook.Attempt, error) {
	var (
		a  webhook.Attempt
		k  string
		at int64
	)
	if err := row.Scan(&a.WebhookID, &k, &a.WorkspaceID, &a.DeliveryID, &a.Seq, &a.Event, &a.Attempt, &a.Status, &a.ResponseStatus,
		&a.DurationMs, &a.Error, &at); err != nil {
		return webhook.Attempt{}, err
	}
	a.At = fromMs(at)
	return a, nil
}

// AddAttempt records one attempt.
func (r *Webhooks) AddAttempt(ctx context.Context, a webhook.Attempt) error {
	_, err := r.db.exec(ctx, r.db.w, "INSERT OR REPLACE INTO webhook_attempts ("+attemptColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.WebhookID, a.Key(), a.WorkspaceID, a.DeliveryID, a.Seq, a.Event, a.Attempt, a.Status, a.ResponseStatus, a.DurationMs, a.Error, ms(a.At))
	if err != nil {
		return storeError("sqlite: insert webhook attempt: %w", err)
	}
	return nil
}

// Attempts returns a page of the webhook's attempts newest first, over the primary key.
func (r *Webhooks) Attempts(ctx context.Context, webhookID string, q webhook.AttemptQuery) ([]webhook.Attempt, error) {
	before := q.BeforeKey
	if before == "" {
		before = "\U0010FFFF" // above every key
	}
	var out []webhook.Attempt
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		a, err := scanAttempt(rows)
		out = append(out, a)
		return err
	}, "SELECT "+attemptColumns+" FROM webhook_attempts WHERE webhook_id = ? AND k < ? ORDER BY k DESC LIMIT ?", webhookID, before, q.Limit)
	if err != nil {
		return nil, storeError("sqlite: list webhook attempts: %w", err)
	}
	return out, nil
}

// LastAttempt returns the newest attempt of one delivery.
func (r *Webhooks) LastAttempt(ctx context.Context, webhookID, deliveryID string) (webhook.Attempt, error) {
	a, err := scanAttempt(r.db.queryRow(ctx, r.db.r, "SELECT "+attemptColumns+" FROM webhook_attempts WHERE webhook_id = ? AND delivery_id = ? "+
		"ORDER BY attempt DESC LIMIT 1", webhookID, deliveryID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return webhook.Attempt{}, webhook.ErrDeliveryNotFound
	case err != nil:
		return webhook.Attempt{}, storeError("sqlite: find webhook attempt: %w", err)
	}
	return a, nil
}

// PruneAttempts deletes attempts made before t, over the index on at.
func (r *Webhooks) PruneAttempts(ctx context.Context, before time.Time) error {
	if _, err := r.db.exec(ctx, r.db.w, "DELETE FROM webhook_attempts WHERE at < ?", ms(before)); err != nil {
		return storeError("sqlite: prune webhook attempts: %w", err)
	}
	return nil
}
