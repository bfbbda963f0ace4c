package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
)

// sweepEvery spaces the deletions of expired records (no TTL index on the embedded MongoDB).
const sweepEvery = time.Minute

// Keeper runs the Idempotency-Key protocol over a Repository.
type Keeper struct {
	repo      Repository
	clock     clock.Clock
	log       *slog.Logger
	lastSweep atomic.Int64 // Unix seconds
}

// NewKeeper returns the protocol over repo.
func NewKeeper(repo Repository, c clock.Clock, log *slog.Logger) (*Keeper, error) {
	if repo == nil || c == nil || log == nil {
		return nil, errors.New("idempotency: all dependencies are required")
	}
	return &Keeper{repo: repo, clock: c, log: log}, nil
}

// Claim is a request's hold on its key: it runs, then Finish stores or releases its answer.
type Claim struct {
	scope, token string
	sealed
}

// Begin decides what a request with an Idempotency-Key does: run (a Claim), or be answered with
// the stored record (replay, done), or be refused: ErrKeyReused for the same key with another
// request, ErrKeyInUse while the first is running.
func (k *Keeper) Begin(ctx context.Context, scope, key, fingerprint string) (Claim, *Record, error) {
	if !ValidKey(key) {
		return Claim{}, nil, ErrInvalidKey
	}
	now := k.clock.Now()
	k.sweep(ctx, now)
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	sk := derive(scope, key)
	rec := Record{Scope: scope, Key: sk.id, Fingerprint: fingerprint, Token: hex.EncodeToString(b[:]),
		LockedUntil: now.Add(LockTTL), ExpiresAt: now.Add(Retention)}
	// Twice: a stale record (expired, or a claim whose process died) is released and the key
	// claimed again; losing that second race to another request answers as that one decides.
	for range 2 {
		existing, inserted, err := k.repo.Insert(ctx, rec)
		if err != nil {
			return Claim{}, nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		if inserted {
			return Claim{scope: scope, token: rec.Token, sealed: sk}, nil, nil
		}
		if !existing.ExpiresAt.After(now) || (!existing.Done() && !existing.LockedUntil.After(now)) {
			if err := k.repo.Release(ctx, scope, sk.id, existing.Token); err != nil {
				return Claim{}, nil, fmt.Errorf("release stale idempotency key: %w", err)
			}
			continue
		}
		switch {
		case existing.Fingerprint != fingerprint:
			return Claim{}, nil, ErrKeyReused
		case !existing.Done():
			return Claim{}, nil, ErrKeyInUse
		}
		body, err := sk.open(existing.Body)
		if err != nil {
			return Claim{}, nil, fmt.Errorf("replay idempotent answer: %w", err)
		}
		existing.Key, existing.Body = key, body
		return Claim{}, &existing, nil
	}
	return Claim{}, nil, ErrKeyInUse
}

// Finish stores the answer of a claimed request for replay. A server error (5xx) is not an
// answer to keep: the key is released, so a retry runs the request again; so is an answer too
// large to keep. Failing to store is logged: the request itself has succeeded.
func (k *Keeper) Finish(ctx context.Context, c Claim, status int, header map[string]string, body []byte) {
	var err error
	if status >= 500 || status < 100 || len(body) > MaxBodyBytes {
		err = k.repo.Release(ctx, c.scope, c.id, c.token)
	} else {
		err = k.repo.Complete(ctx, c.scope, c.id, c.token, status, header, c.seal(body))
	}
	if err != nil {
		k.log.WarnContext(ctx, "store idempotent answer", slog.Int("status", status), slog.Any("error", err))
	}
}

// sweep deletes expired records at most once per sweepEvery; failing leaves them for the next.
func (k *Keeper) sweep(ctx context.Context, now time.Time) {
	last := k.lastSweep.Load()
	if now.Unix()-last < int64(sweepEvery/time.Second) || !k.lastSweep.CompareAndSwap(last, now.Unix()) {
		return
	}
	if err := k.repo.DeleteExpired(ctx, now); err != nil {
		k.log.WarnContext(ctx, "delete expired idempotency keys", slog.Any("error", err))
	}
}
