package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/workspaceops/workspaceops/modules/apikey"
)

// APIKeys is the apikey.Repository: table api_keys, unique hash.
type APIKeys struct{ db *DB }

var _ apikey.Repository = (*APIKeys)(nil)

// NewAPIKeys returns the key repository on db.
func NewAPIKeys(db *DB) *APIKeys { return &APIKeys{db: db} }

const apiKeyColumns = "id, workspace_id, name, role, prefix, hash, created_by, created_at, expires_at, last_used_at"

func scanAPIKey(row interface{ Scan(...any) error }) (apikey.Key, error) {
	var k apikey.Key
	var created int64
	var expires, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.WorkspaceID, &k.Name, &k.Role, &k.Prefix, &k.Hash, &k.CreatedBy, &created, &expires, &used); err != nil {
		return apikey.Key{}, err
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMs(created), fromMsPtr(expires), fromMsPtr(used)
	return k, nil
}

// Create stores k; the primary key and the unique hash refuse a duplicate.
func (r *APIKeys) Create(ctx context.Context, k apikey.Key) error {
	_, err := r.db.exec(ctx, r.db.w, "INSERT INTO api_keys ("+apiKeyColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		k.ID, k.WorkspaceID, k.Name, k.Role, k.Prefix, k.Hash, k.CreatedBy, ms(k.CreatedAt), msPtr(k.ExpiresAt), msPtr(k.LastUsedAt))
	switch {
	case isUnique(err):
		return apikey.ErrKeyExists
	case err != nil:
		return storeError("sqlite: insert api key: %w", err)
	}
	return nil
}

// ByID returns the key or ErrKeyNotFound.
func (r *APIKeys) ByID(ctx context.Context, id string) (apikey.Key, error) {
	return r.one(ctx, r.db.r, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id = ?", id)
}

// ByHash returns the key with the token hash or ErrKeyNotFound.
func (r *APIKeys) ByHash(ctx context.Context, hash string) (apikey.Key, error) {
	return r.one(ctx, r.db.r, "SELECT "+apiKeyColumns+" FROM api_keys WHERE hash = ?", hash)
}

// Delete removes a workspace's key and returns it.
func (r *APIKeys) Delete(ctx context.Context, workspaceID, id string) (apikey.Key, error) {
	return r.one(ctx, r.db.w, "DELETE FROM api_keys WHERE id = ? AND workspace_id = ? RETURNING "+apiKeyColumns, id, workspaceID)
}

func (r *APIKeys) one(ctx context.Context, q querier, query string, args ...any) (apikey.Key, error) {
	k, err := scanAPIKey(r.db.queryRow(ctx, q, query, args...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return apikey.Key{}, apikey.ErrKeyNotFound
	case err != nil:
		return apikey.Key{}, storeError("sqlite: find api key: %w", err)
	}
	return k, nil
}

// List returns a workspace's keys by id after afterID, at most limit.
func (r *APIKeys) List(ctx context.Context, workspaceID, afterID string, limit int) ([]apikey.Key, error) {
	var out []apikey.Key
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		k, err := scanAPIKey(rows)
		out = append(out, k)
		return err
	}, "SELECT "+apiKeyColumns+" FROM api_keys WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?", workspaceID, afterID, limit)
	if err != nil {
		return nil, storeError("sqlite: list api keys: %w", err)
	}
	return out, nil
}

// Count counts a workspace's keys.
func (r *APIKeys) Count(ctx context.Context, workspaceID string) (int, error) {
	var n int
	if err := r.db.queryRow(ctx, r.db.r, "SELECT COUNT(*) FROM api_keys WHERE workspace_id = ?", workspaceID).Scan(&n); err != nil {
		return 0, storeError("sqlite: count api keys: %w", err)
	}
	return n, nil
}

// Touch sets the last use unless it is already at or after notBefore, in one statement.
func (r *APIKeys) Touch(ctx context.Context, id string, at, notBefore time.Time) error {
	_, err := r.db.exec(ctx, r.db.w, "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
		ms(at), id, ms(notBefore))
	if err != nil {
		return storeError("sqlite: record api key use: %w", err)
	}
	return nil
}
