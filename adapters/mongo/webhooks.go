package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/modules/webhook"
)

// webhookDoc is a webhook as stored in the webhooks collection; pending is null when no
// delivery is being retried, leaseUntil null when no instance holds the lease.
type webhookDoc struct {
	ID             string      `bson:"_id"`
	WorkspaceID    string      `bson:"workspaceId"`
	URL            string      `bson:"url"`
	Events         []string    `bson:"events"`
	Secret         string      `bson:"secret"`
	Active         bool        `bson:"active"`
	DisabledReason string      `bson:"disabledReason"`
	Cursor         int64       `bson:"cursor"`
	Generation     int64       `bson:"generation"`
	Pending        *pendingDoc `bson:"pending"`
	LeaseOwner     string      `bson:"leaseOwner"`
	LeaseUntil     *time.Time  `bson:"leaseUntil"`
	CreatedBy      string      `bson:"createdBy"`
	CreatedAt      time.Time   `bson:"createdAt"`
	UpdatedAt      time.Time   `bson:"updatedAt"`
	Version        int64       `bson:"version"`
}

type pendingDoc struct {
	DeliveryID string    `bson:"deliveryId"`
	Seq        int64     `bson:"seq"`
	Attempt    int       `bson:"attempt"`
	NextAt     time.Time `bson:"nextAt"`
}

func toWebhookDoc(w webhook.Webhook) webhookDoc {
	d := webhookDoc{
		ID: w.ID, WorkspaceID: w.WorkspaceID, URL: w.URL, Events: w.Events, Secret: w.Secret, Active: w.Active,
		DisabledReason: w.DisabledReason, Cursor: w.Cursor, Generation: w.Generation, LeaseOwner: w.LeaseOwner,
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Version: w.Version,
	}
	if p := w.Pending; p != nil {
		d.Pending = &pendingDoc{DeliveryID: p.DeliveryID, Seq: p.Seq, Attempt: p.Attempt, NextAt: p.NextAt}
	}
	if !w.LeaseUntil.IsZero() {
		u := w.LeaseUntil
		d.LeaseUntil = &u
	}
	return d
}

func (d webhookDoc) webhook() webhook.Webhook {
	w := webhook.Webhook{
		ID: d.ID, WorkspaceID: d.WorkspaceID, URL: d.URL, Events: d.Events, Secret: d.Secret, Active: d.Active,
		DisabledReason: d.DisabledReason, Cursor: d.Cursor, Generation: d.Generation, LeaseOwner: d.LeaseOwner,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
	}
	if p := d.Pending; p != nil {
		w.Pending = &webhook.Pending{DeliveryID: p.DeliveryID, Seq: p.Seq, Attempt: p.Attempt, NextAt: p.NextAt.UTC()}
	}
	if d.LeaseUntil != nil {
		w.LeaseUntil = d.LeaseUntil.UTC()
	}
	return w
}

// attemptDoc is one delivery attempt in the webhookAttempts collection; _id is the webhook id
// and the attempt's key, which orders a webhook's attempts by time.
type attemptDoc struct {
	ID             string    `bson:"_id"`
	WebhookID      string    `bson:"webhookId"`
	Key            string    `bson:"key"`
	WorkspaceID    string    `bson:"workspaceId"`
	DeliveryID     string    `bson:"deliveryId"`
	Seq            int64     `bson:"seq"`
	Event          string    `bson:"event"`
	Attempt        int       `bson:"attempt"`
	Status         string    `bson:"status"`
	ResponseStatus int       `bson:"responseStatus"`
	DurationMs     int64     `bson:"durationMs"`
	Error          string    `bson:"error"`
	At             time.Time `bson:"at"`
}

func (d attemptDoc) attempt() webhook.Attempt {
	return webhook.Attempt{
		WebhookID: d.WebhookID, WorkspaceID: d.WorkspaceID, DeliveryID: d.DeliveryID, Seq: d.Seq, Event: d.Event, Attempt: d.Attempt,
		Status: d.Status, ResponseStatus: d.ResponseStatus, DurationMs: d.DurationMs, Error: d.Error, At: d.At.UTC(),
	}
}

// Webhooks is the webhook.Repository on MongoDB: collections webhooks and webhookAttempts.
type Webhooks struct {
	coll     *mongodriver.Collection
	attempts *mongodriver.Collection
}

var _ webhook.Repository = (*Webhooks)(nil)

// NewWebhooks returns the webhook repository on db; EnsureIndexes must have run on db.
func NewWebhooks(db *mongodriver.Database) *Webhooks {
	return &Webhooks{coll: db.Collection(webhooksColl), attempts: db.Collection(webhookAttemptsColl)}
}

// Create stores a new webhook.
func (r *Webhooks) Create(ctx context.Context, w webhook.Webhook) error {
	if _, err := r.coll.InsertOne(ctx, toWebhookDoc(w)); err != nil {
		return storeError("mongo: insert webhook: %w", err)
	}
	return nil
}

// Get finds the webhook by _id alone (the embedded store's fast path) and checks its workspace.
func (r *Webhooks) Get(ctx context.Context, workspaceID, id string) (webhook.Webhook, error) {
	d, err := getInWorkspace(ctx, r.coll, workspaceID, id, func(d webhookDoc) string { return d.WorkspaceID }, webhook.ErrNotFound, "webhook")
	if err != nil {
		return webhook.Webhook{}, err
	}
	return d.webhook(), nil
}

// List returns a page of the workspace's webhooks by id.
func (r *Webhooks) List(ctx context.Context, workspaceID, afterID string, limit int) ([]webhook.Webhook, error) {
	return r.page(ctx, bson.D{{Key: "workspaceId", Value: workspaceID}}, afterID, limit)
}

// Active returns a page of every workspace's active webhooks by id.
func (r *Webhooks) Active(ctx context.Context, afterID string, limit int) ([]webhook.Webhook, error) {
	return r.page(ctx, bson.D{{Key: "active", Value: true}}, afterID, limit)
}

func (r *Webhooks) page(ctx context.Context, filter bson.D, afterID string, limit int) ([]webhook.Webhook, error) {
	var docs []webhookDoc
	if err := findPage(ctx, r.coll, filter, "_id", afterID, limit, &docs); err != nil {
		return nil, storeError("mongo: list webhooks: %w", err)
	}
	out := make([]webhook.Webhook, len(docs))
	for i, d := range docs {
		out[i] = d.webhook()
	}
	return out, nil
}

// Count counts the workspace's webhooks.
func (r *Webhooks) Count(ctx context.Context, workspaceID string) (int, error) {
	n, err := r.coll.CountDocuments(ctx, bson.D{{Key: "workspaceId", Value: workspaceID}})
	if err != nil {
		return 0, storeError("mongo: count webhooks: %w", err)
	}
	return int(n), nil
}

// Update is the compare-and-set of updateVersioned.
func (r *Webhooks) Update(ctx context.Context, workspaceID, id string, change func(*webhook.Webhook) (bool, error)) (webhook.Webhook, bool, error) {
	return updateVersioned(ctx, r.coll, workspaceID, id, r.Get, toWebhookDoc, webhook.ErrConflict, change)
}

// Delete removes the webhook, then its deliveries log.
func (r *Webhooks) Delete(ctx context.Context, workspaceID, id string) error {
	if err := deleteInWorkspace(ctx, r.coll, workspaceID, id, webhook.ErrNotFound, "webhook"); err != nil {
		return err
	}
	if _, err := r.attempts.DeleteMany(ctx, bson.D{{Key: "webhookId", Value: id}}); err != nil {
		return storeError("mongo: delete webhook deliveries: %w", err)
	}
	return nil
}

// DeleteWorkspace removes the workspace's webhooks, then their deliveries logs.
func (r *Webhooks) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	filter := bson.D{{Key: "workspaceId", Value: workspaceID}}
	if _, err := r.coll.DeleteMany(ctx, filter); err != nil {
		return storeError("mongo: delete a workspace's webhooks: %w", err)
	}
	if _, err := r.attempts.DeleteMany(ctx, filter); err != nil {
		return storeError("mongo: delete a workspace's webhook deliveries: %w", err)
	}
	return nil
}

// AddAttempt records one attempt (a second record of the same key replaces the first).
func (r *Webhooks) AddAttempt(ctx context.Context, a webhook.Attempt) error {
	k := a.Key()
	d := attemptDoc{
		ID: a.WebhookID + "/" + k, WebhookID: a.WebhookID, Key: k, WorkspaceID: a.WorkspaceID, DeliveryID: a.DeliveryID, Seq: a.Seq,
		Event: a.Event, Attempt: a.Attempt, Status: a.Status, ResponseStatus: a.ResponseStatus, DurationMs: a.DurationMs, Error: a.Error, At: a.At,
	}
	if _, err := r.attempts.ReplaceOne(ctx, byID(d.ID), d, options.Replace().SetUpsert(true)); err != nil {
		return storeError("mongo: insert webhook attempt: %w", err)
	}
	return nil
}

// Attempts returns a page of the webhook's attempts newest first.
func (r *Webhooks) Attempts(ctx context.Context, webhookID string, q webhook.AttemptQuery) ([]webhook.Attempt, error) {
	if q.Limit < 1 {
		return nil, nil
	}
	filter := bson.D{{Key: "webhookId", Value: webhookID}}
	if q.BeforeKey != "" {
		filter = append(filter, bson.E{Key: "key", Value: bson.D{{Key: "$lt", Value: q.BeforeKey}}})
	}
	return r.findAttempts(ctx, filter, options.Find().SetSort(bson.D{{Key: "key", Value: -1}}).SetLimit(int64(q.Limit)))
}

func (r *Webhooks) findAttempts(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]webhook.Attempt, error) {
	var docs []attemptDoc
	if err := findAll(ctx, r.attempts, filter, opts, &docs); err != nil {
		return nil, storeError("mongo: list webhook attempts: %w", err)
	}
	out := make([]webhook.Attempt, len(docs))
	for i, d := range docs {
		out[i] = d.attempt()
	}
	return out, nil
}

// LastAttempt returns the newest attempt of one delivery.
func (r *Webhooks) LastAttempt(ctx context.Context, webhookID, deliveryID string) (webhook.Attempt, error) {
	list, err := r.findAttempts(ctx, bson.D{{Key: "webhookId", Value: webhookID}, {Key: "deliveryId", Value: deliveryID}},
		options.Find().SetSort(bson.D{{Key: "attempt", Value: -1}}).SetLimit(1))
	if err != nil {
		return webhook.Attempt{}, err
	}
	if len(list) == 0 {
		return webhook.Attempt{}, webhook.ErrDeliveryNotFound
	}
	return list[0], nil
}

// PruneAttempts deletes attempts made before t.
func (r *Webhooks) PruneAttempts(ctx context.Context, before time.Time) error {
	if _, err := r.attempts.DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}}); err != nil {
		return storeError("mongo: prune webhook attempts: %w", err)
	}
	return nil
}
