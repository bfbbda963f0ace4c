package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/page"
)

// Retention is how long the deliveries log keeps an attempt.
const Retention = 7 * 24 * time.Hour

// DefaultMaxPerWorkspace bounds a workspace's webhooks when Deps leaves it zero.
const DefaultMaxPerWorkspace = 20

// Deps are the Service's dependencies.
type Deps struct {
	Repo       Repository
	Log        Log
	Sender     Sender
	Authz      authz.Authorizer
	Dispatcher *Dispatcher
	Clock      clock.Clock
	Rules      URLRules
	// MaxPerWorkspace bounds how many webhooks one workspace has (DefaultMaxPerWorkspace when 0).
	MaxPerWorkspace int
	Logger          *slog.Logger
}

// Service holds the webhook use cases of the REST API; only owners and admins may call them.
type Service struct{ d Deps }

// NewService returns the webhooks service.
func NewService(d Deps) (*Service, error) {
	if d.Repo == nil || d.Log == nil || d.Sender == nil || d.Authz == nil || d.Dispatcher == nil || d.Clock == nil || d.Logger == nil {
		return nil, errors.New("webhook: all dependencies are required")
	}
	if d.MaxPerWorkspace <= 0 {
		d.MaxPerWorkspace = DefaultMaxPerWorkspace
	}
	return &Service{d: d}, nil
}

// CreateInput is a new webhook as the caller sends it.
type CreateInput struct {
	URL    string
	Events []string
	Secret *string // generated when nil
}

// Create registers a webhook that delivers the workspace's entries from now on; the answer is
// the only one that holds its secret.
func (s *Service) Create(ctx context.Context, actorID, workspaceID string, in CreateInput) (Webhook, error) {
	if err := s.d.Authz.Authorize(ctx, workspaceID, actorID, authz.WebhookManage); err != nil {
		return Webhook{}, err
	}
	var fields apperr.Fields
	s.d.Rules.checkURL(in.URL, &fields)
	evs := checkEvents(in.Events, &fields)
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
		if len(secret) < MinSecretLength || len(secret) > MaxSecretLength {
			fields.Add("secret", fmt.Sprintf("must be %d to %d characters", MinSecretLength, MaxSecretLength))
		}
	}
	if err := fields.Err(); err != nil {
		return Webhook{}, err
	}
	if err := s.d.Sender.CheckDestination(ctx, in.URL); err != nil {
		return Webhook{}, err
	}
	if secret == "" {
		secret = newSecret()
	}
	n, err := s.d.Repo.Count(ctx, workspaceID)
	if err != nil {
		return Webhook{}, fmt.Errorf("count webhooks: %w", err)
	}
	if n >= s.d.MaxPerWorkspace {
		return Webhook{}, ErrTooMany
	}
	head, err := s.d.Log.Head(ctx, workspaceID)
	if err != nil {
		return Webhook{}, fmt.Errorf("read the audit log's head: %w", err)
	}
	now := s.d.Clock.Now()
	w := Webhook{
		ID: ids.New(), WorkspaceID: workspaceID, URL: in.URL, Events: evs, Secret: secret, Active: true,
		Cursor: head, CreatedBy: actorID, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := s.d.Repo.Create(ctx, w); err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	// Counted again once stored: of creations racing at the limit, each that finds the
	// workspace over it takes its webhook back, so the limit holds without a lock.
	if n, err := s.d.Repo.Count(ctx, workspaceID); err != nil || n > s.d.MaxPerWorkspace {
		if derr := s.d.Repo.Delete(context.WithoutCancel(ctx), workspaceID, w.ID); derr != nil && !errors.Is(derr, ErrNotFound) {
			return Webhook{}, fmt.Errorf("take back a webhook over the limit: %w", derr)
		}
		if err != nil {
			return Webhook{}, fmt.Errorf("count webhooks: %w", err)
		}
		return Webhook{}, ErrTooMany
	}
	return w, nil
}

// newSecret returns 32 random bytes, base64url: what a webhook is signed with when the caller
// did not choose.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Get returns one webhook.
func (s *Service) Get(ctx context.Context, actorID, workspaceID, id string) (Webhook, error) {
	if err := s.d.Authz.Authorize(ctx, workspaceID, actorID, authz.WebhookManage); err != nil {
		return Webhook{}, err
	}
	return s.d.Repo.Get(ctx, workspaceID, id)
}

// List returns one page of the workspace's webhooks, by id.
func (s *Service) List(ctx context.Context, actorID, workspaceID, cursor string, limit int) (page.Page[Webhook], error) {
	if err := s.d.Authz.Authorize(ctx, workspaceID, actorID, authz.WebhookManage); err != nil {
		return page.Page[Webhook]{}, err
	}
	c, err := page.DecodeCursor(cursor, 1)
	if err != nil {
		return page.Page[Webhook]{}, err
	}
	list, err := s.d.Repo.List(ctx, workspaceID, c[0], limit+1)
	if err != nil {
		return page.Page[Webhook]{}, fmt.Errorf("list webhooks: %w", err)
	}
	var out page.Page[Webhook]
	if len(list) > limit {
		list = list[:limit]
		out.NextCursor = page.EncodeCursor(list[len(list)-1].ID)
	}
	out.Items = list
	return out, nil
}

// UpdateInput is a change of a webhook; nil fields stay.
type UpdateInput struct {
	URL    *string
	Events *[]string
	Active *bool
}

// Update changes a webhook. Re-activating one clears its disabled reason and its failed
// delivery's count, and delivery resumes from its cursor: nothing is skipped.
func (s *Service) Update(ctx context.Context, actorID, workspaceID, id string, in UpdateInput) (Webhook, error) {
	if err := s.d.Authz.Authorize(ctx, workspaceID, actorID, authz.WebhookManage); err != nil {
		return Webhook{}, err
	}
	var fields apperr.Fields
	var evs []string
	if in.URL != nil {
		s.d.Rules.checkURL(*in.URL, &fields)
	}
	if in.Events != nil {
		evs = checkEvents(*in.Events, &fields)
	}
	if err := fields.Err(); err != nil {
		return Webhook{}, err
	}
	if in.URL != nil {
		if err := s.d.Sender.CheckDestination(ctx, *in.URL); err != nil {
			return Webhook{}, err
		}
	}
	now := s.d.Clock.Now()
	return s.change(ctx, workspaceID, id, func(w *Webhook) {
		if in.URL != nil {
			w.URL = *in.URL
		}
		if in.Events != nil {
			w.Events = evs
		}
		if in.Active != nil && *in.Active != w.Active {
			w.Active = *in.Active
			w.DisabledReason = ""
			w.Pending = nil
		}
		w.UpdatedAt = now
	})
}

// change writes a change through the API and wakes the dispatcher, which may have something
// to deliver now.
func (s *Service) change(ctx context.Context, workspaceID, id string, edit func(*Webhook)) (Webhook, error) {
	w, _, err := s.d.Repo.Update(ctx, workspaceID, id, func(w *Webhook) (bool, error) {
		edit(w)
		return true, nil
	})
	if err != nil {
		return Webhook{}, err
	}
	s.d.Dispatcher.Wake()
	return w, nil
}

// Delete removes a webhook and its deliveries log.
func (s *Service) Delete(ctx context.Context, actorID, workspaceID, id string) error {
	if err := s.d.Authz.Authorize(ctx, workspaceID, actorID, authz.WebhookManage); err != nil {
		return err
	}
	return s.d.Repo.Delete(ctx, workspaceID, id)
}

// PurgeWorkspace deletes every webhook of a deleted workspace, with their logs (the workspace
// module's purge, through adapters/bridge). Its workspace:deleted entry may or may not have
// been delivered by then.
func (s *Service) PurgeWorkspace(ctx context.Context, workspaceID string) error {
	if err := s.d.Repo.DeleteWorkspace(ctx, workspaceID); err != nil {
		return fmt.Errorf("purge webhooks: %w", err)
	}
	return nil
}

// Deliveries returns one page of a webhook's deliveries log (every attempt of the last 7
// days), newest first.
func (s *Service) Deliveries(ctx context.Context, actorID, workspaceID, id, cursor string, limit int) (page.Page[Attempt], error) {
	if _, err := s.Get(ctx, actorID, workspaceID, id); err != nil {
		return page.Page[Attempt]{}, err
	}
	c, err := page.DecodeCursor(cursor, 1)
	if err != nil {
		return page.Page[Attempt]{}, err
	}
	list, err := s.d.Repo.Attempts(ctx, id, AttemptQuery{BeforeKey: c[0], Limit: limit + 1})
	if err != nil {
		return page.Page[Attempt]{}, fmt.Errorf("list deliveries: %w", err)
	}
	// Attempts older than the retention are pruned a while later; they are not shown meanwhile.
	cutoff := s.d.Clock.Now().Add(-Retention)
	for i, a := range list {
		if a.At.Before(cutoff) {
			list = list[:i]
			break
		}
	}
	var out page.Page[Attempt]
	if len(list) > limit {
		list = list[:limit]
		out.NextCursor = page.EncodeCursor(list[len(list)-1].Key())
	}
	out.Items = list
	return out, nil
}

// Redeliver sends one delivery again, with its id, out of band: the cursor does not move and
// later deliveries are not held. It returns once the attempt is scheduled.
func (s *Service) Redeliver(ctx context.Context, actorID, workspaceID, id, deliveryID string) error {
	w, err := s.Get(ctx, actorID, workspaceID, id)
	if err != nil {
		return err
	}
	last, err := s.d.Repo.LastAttempt(ctx, id, deliveryID)
	if err != nil {
		return err
	}
	s.d.Dispatcher.redeliverLater(w, last)
	return nil
}

// ErrBadSince is a replay point outside the workspace's log.
var ErrBadSince = apperr.Validation(apperr.FieldError{Field: "since", Message: "must be between 0 and the workspace's latest seq"})

// Replay moves a webhook's cursor back to since: every matching entry after it is delivered
// again, in order. A delivery being retried is dropped (it is among those delivered again).
func (s *Service) Replay(ctx context.Context, actorID, workspaceID, id string, since int64) (Webhook, error) {
	if _, err := s.Get(ctx, actorID, workspaceID, id); err != nil {
		return Webhook{}, err
	}
	head, err := s.d.Log.Head(ctx, workspaceID)
	if err != nil {
		return Webhook{}, fmt.Errorf("read the audit log's head: %w", err)
	}
	if since < 0 || since > head {
		return Webhook{}, ErrBadSince
	}
	now := s.d.Clock.Now()
	return s.change(ctx, workspaceID, id, func(w *Webhook) {
		w.Cursor, w.Pending = since, nil
		w.Generation++
		w.UpdatedAt = now
	})
}
