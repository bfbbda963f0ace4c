package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/workspaceops/workspaceops/modules/idempotency"
)

// IdempotencyKeys is the idempotency.Repository: table idempotency_keys, primary key (scope,
// key), which refuses a second claim.
type IdempotencyKeys struct{ db *DB }

var _ idempotency.Repository = (*IdempotencyKeys)(nil)

// NewIdempotencyKeys returns the record repository on db.
func NewIdempotencyKeys(db *DB) *IdempotencyKeys { return &IdempotencyKeys{db: db} }

// Insert claims the key by inserting; on a conflict it reads the existing record.
func (r *IdempotencyKeys) Insert(ctx context.Context, rec idempotency.Record) (idempotency.Record, bool, error) {
	_, err := r.db.exec(ctx, r.db.w, "INSERT INTO idempotency_keys (scope, key, fingerprint, token, locked_until, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		rec.Scope, rec.Key, rec.Fingerprint, rec.Token, ms(rec.LockedUntil), ms(rec.ExpiresAt))
	switch {
	case err == nil:
		return idempotency.Record{}, true, nil
	case !isUnique(err):
		return idempotency.Record{}, false, storeError("sqlite: claim idempotency key: %w", err)
	}
	// Read on the writer: the record just refused the insert there.
	var out idempotency.Record
	var header string
	var locked, expires int64
	err = r.db.queryRow(ctx, r.db.w, "SELECT scope, key, fingerprint, token, status, header, body, locked_until, expires_at FROM idempotency_keys WHERE scope = ? AND key = ?",
		rec.Scope, rec.Key).Scan(&out.Scope, &out.Key, &out.Fingerprint, &out.Token, &out.Status, &header, &out.Body, &locked, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Released in between: the caller tries again.
		return idempotency.Record{Scope: rec.Scope, Key: rec.Key}, false, nil
	case err != nil:
		return idempotency.Record{}, false, storeError("sqlite: read idempotency key: %w", err)
	}
	if err := json.Unmarshal([]byte(header), &out.Header); err != nil {
		return idempotency.Record{}, false, storeError("sqlite: decode idempotency header: %w", err)
	}
	out.LockedUntil, out.ExpiresAt = fromMs(locked), fromMs(expires)
	return out, false, nil
}

// Complete stores the answer of the claim token.
func (r *IdempotencyKeys) Complete(ctx context.Context, scope, key, token string, status int, header map[string]string, body []byte) error {
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	res, err := r.db.exec(ctx, r.db.w, "UPDATE idempotency_keys SET status = ?, header = ?, body = ? WHERE scope = ? AND key = ? AND token = ?",
		status, string(h), body, scope, key, token)
	if err != nil {
		return storeError("sqlite: complete idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return idempotency.ErrClaimLost
	}
	return nil
}

// Release deletes the record of the claim token.
func (r *IdempotencyKeys) Release(ctx context.Context, scope, key, token string) error {
	if _, err := r.db.exec(ctx, r.db.w, "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND token = ?", scope, key, token); err != nil {
		return storeError("sqlite: release idempotency key: %w", err)
	}
	return nil
}

// DeleteExpired deletes the records expired at now.
func (r *IdempotencyKeys) DeleteExpired(ctx context.Context, now time.Time) error {
	if _, err := r.db.exec(ctx, r.db.w, "DELETE FROM idempotency_keys WHERE expires_at <= ?", ms(now)); err != nil {
		return storeError("sqlite: delete expired idempotency keys: %w", err)
	}
	return nil
}
