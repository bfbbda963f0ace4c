package apikey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/page"
)

// DefaultMaxPerWorkspace bounds the keys of one workspace (expired ones count until revoked).
const DefaultMaxPerWorkspace = 100

// TouchEvery is how often, at most, a key's last use is written.
const TouchEvery = time.Minute

// Service holds the API key use cases.
type Service struct {
	repo    Repository
	grants  Grants
	authz   authz.Authorizer
	events  events.Publisher
	clock   clock.Clock
	log     *slog.Logger
	maxKeys int
	touched *touches

	mu       sync.Mutex
	onRevoke []func(actorID string)
}

// Deps are the Service's dependencies; all but MaxPerWorkspace are required.
type Deps struct {
	Repo            Repository
	Grants          Grants
	Authz           authz.Authorizer
	Events          events.Publisher
	Clock           clock.Clock
	Log             *slog.Logger
	MaxPerWorkspace int // 0: DefaultMaxPerWorkspace
}

// NewService returns the API key use cases.
func NewService(d Deps) (*Service, error) {
	if d.Repo == nil || d.Grants == nil || d.Authz == nil || d.Events == nil || d.Clock == nil || d.Log == nil {
		return nil, errors.New("apikey: all dependencies are required")
	}
	if d.MaxPerWorkspace <= 0 {
		d.MaxPerWorkspace = DefaultMaxPerWorkspace
	}
	return &Service{repo: d.Repo, grants: d.Grants, authz: d.Authz, events: d.Events, clock: d.Clock, log: d.Log,
		maxKeys: d.MaxPerWorkspace, touched: newTouches(maxTouches)}, nil
}

// CreateInput is what a person submits to create a key.
type CreateInput struct {
	Name      string
	Role      string
	ExpiresAt *time.Time
}

// Created is a new key with its token, which exists nowhere else: it is shown once.
type Created struct {
	Key   Key
	Token string
}

// Create makes a key in the workspace for the acting user, who must be allowed to manage keys
// and to give the role (never above their own, never OWNER).
func (s *Service) Create(ctx context.Context, actorID, workspaceID string, in CreateInput) (Created, error) {
	now := s.clock.Now()
	if err := s.grants.AuthorizeKeyRole(ctx, workspaceID, actorID, in.Role); err != nil {
		return Created{}, err
	}
	name, err := validate(in.Name, in.ExpiresAt, now)
	if err != nil {
		return Created{}, err
	}
	n, err := s.repo.Count(ctx, workspaceID)
	if err != nil {
		return Created{}, fmt.Errorf("count api keys: %w", err)
	}
	if n >= s.maxKeys {
		return Created{}, ErrTooManyKeys
	}
	token := newToken()
	k := Key{ID: ids.New(), WorkspaceID: workspaceID, Name: name, Role: in.Role, Prefix: token[:prefixLen],
		Hash: hashToken(token), CreatedBy: actorID, CreatedAt: now}
	if in.ExpiresAt != nil {
		exp := in.ExpiresAt.UTC().Truncate(time.Millisecond)
		k.ExpiresAt = &exp
	}
	if err := s.repo.Create(ctx, k); err != nil {
		return Created{}, fmt.Errorf("create api key: %w", err)
	}
	// Counted again once stored: of creations racing at the limit, each that finds the
	// workspace over it takes its key back, so the limit holds without a lock.
	if n, err := s.repo.Count(ctx, workspaceID); err != nil || n > s.maxKeys {
		if _, derr := s.repo.Delete(context.WithoutCancel(ctx), workspaceID, k.ID); derr != nil && !errors.Is(derr, ErrKeyNotFound) {
			return Created{}, fmt.Errorf("take back an api key over the limit: %w", derr)
		}
		if err != nil {
			return Created{}, fmt.Errorf("count api keys: %w", err)
		}
		return Created{}, ErrTooManyKeys
	}
	s.events.Publish(ctx, events.NewAPIKeyCreated(k.ID, k.Name, k.Role, k.Prefix).Event(workspaceID, actorID, now))
	return Created{Key: k, Token: token}, nil
}

// List returns a workspace's keys (never their tokens), by id, one page at a time.
func (s *Service) List(ctx context.Context, actorID, workspaceID, cursor string, limit int) (page.Page[Key], error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.APIKeyManage); err != nil {
		return page.Page[Key]{}, err
	}
	after, err := page.DecodeCursor(cursor, 1)
	if err != nil {
		return page.Page[Key]{}, err
	}
	ks, err := s.repo.List(ctx, workspaceID, after[0], limit+1)
	if err != nil {
		return page.Page[Key]{}, fmt.Errorf("list api keys: %w", err)
	}
	var out page.Page[Key]
	if len(ks) > limit {
		ks = ks[:limit]
		out.NextCursor = page.EncodeCursor(ks[len(ks)-1].ID)
	}
	out.Items = ks
	return out, nil
}

// Revoke deletes a key: it authenticates nothing from now on, on any instance (every use reads
// the store), and the OnRevoke listeners close its open connections.
func (s *Service) Revoke(ctx context.Context, actorID, workspaceID, id string) error {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.APIKeyManage); err != nil {
		return err
	}
	k, err := s.repo.Delete(ctx, workspaceID, id)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	s.events.Publish(ctx, events.NewAPIKeyRevoked(k.ID, k.Name).Event(workspaceID, actorID, s.clock.Now()))
	s.log.InfoContext(ctx, "api key revoked", slog.String("key_id", k.ID), slog.String("workspace_id", workspaceID))
	s.revoked(k.ID)
	return nil
}

// PurgeWorkspace deletes a deleted workspace's keys (no event each: the workspace's deletion is
// the event) and tells the revocation listeners, so their sockets close everywhere.
func (s *Service) PurgeWorkspace(ctx context.Context, workspaceID string) error {
	for {
		keys, err := s.repo.List(ctx, workspaceID, "", 100)
		if err != nil {
			return fmt.Errorf("purge api keys: %w", err)
		}
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if _, err := s.repo.Delete(ctx, workspaceID, k.ID); err != nil && !errors.Is(err, ErrKeyNotFound) {
				return fmt.Errorf("purge api key %s: %w", k.ID, err)
			}
			s.revoked(k.ID)
		}
	}
}

// revoked tells the revocation listeners that key id authenticates nothing any more.
func (s *Service) revoked(id string) {
	s.mu.Lock()
	listeners := slices.Clone(s.onRevoke)
	s.mu.Unlock()
	for _, f := range listeners {
		f(authz.KeyActor(id))
	}
}

// OnRevoke registers f to be told, on this instance, the actor id of every key revoked here
// (the realtime hub closes its connections; with several instances, the others are told).
func (s *Service) OnRevoke(f func(actorID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRevoke = append(s.onRevoke, f)
}

// Verify returns the key a token belongs to, if it is neither revoked nor expired, and records
// its use (at most once per TouchEvery).
func (s *Service) Verify(ctx context.Context, token string) (Key, error) {
	if !IsToken(token) || len(token) > maxTokenLen {
		return Key{}, ErrInvalidToken
	}
	k, err := s.repo.ByHash(ctx, hashToken(token))
	if err != nil {
		return Key{}, s.lookupFailed(err)
	}
	now := s.clock.Now()
	if k.Expired(now) {
		return Key{}, fmt.Errorf("%w: expired", ErrInvalidToken)
	}
	s.touch(ctx, k, now)
	return k, nil
}

// Recheck reports whether a key verified earlier (an SSE ticket's) still stands.
func (s *Service) Recheck(ctx context.Context, keyID string) error {
	k, err := s.repo.ByID(ctx, keyID)
	if err != nil {
		return s.lookupFailed(err)
	}
	if k.Expired(s.clock.Now()) {
		return fmt.Errorf("%w: expired", ErrInvalidToken)
	}
	return nil
}

func (s *Service) lookupFailed(err error) error {
	if errors.Is(err, ErrKeyNotFound) {
		return ErrInvalidToken
	}
	return fmt.Errorf("find api key: %w", err)
}

// touch writes the key's last use when the stored one is older than TouchEvery. The in-memory
// record spares the store a write per request; the conditional write makes instances agree.
func (s *Service) touch(ctx context.Context, k Key, now time.Time) {
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < TouchEvery {
		return
	}
	if !s.touched.claim(k.ID, now) {
		return
	}
	if err := s.repo.Touch(ctx, k.ID, now, now.Add(-TouchEvery)); err != nil {
		s.log.WarnContext(ctx, "record api key use", slog.String("key_id", k.ID), slog.Any("error", err))
	}
}
