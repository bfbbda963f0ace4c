package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// Users is the identity.Repository: table users, unique email.
type Users struct{ db *DB }

var _ identity.Repository = (*Users)(nil)

// NewUsers returns the user repository on db.
func NewUsers(db *DB) *Users { return &Users{db: db} }

const userColumns = "id, email, display_name, password_hash, created_at, token_generation"

func scanUser(row interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &u.PasswordHash, &created, &u.TokenGeneration); err != nil {
		return identity.User{}, err
	}
	u.CreatedAt = fromMs(created)
	return u, nil
}

// Create stores a new user; the unique email turns a taken one into ErrEmailTaken, also when two
// registrations race.
func (r *Users) Create(ctx context.Context, u identity.User) error {
	_, err := r.db.exec(ctx, r.db.w, "INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		u.ID, u.Email, u.DisplayName, u.PasswordHash, ms(u.CreatedAt), u.TokenGeneration)
	switch {
	case isUnique(err):
		return identity.ErrEmailTaken
	case err != nil:
		return storeError("sqlite: insert user: %w", err)
	}
	return nil
}

// ByID returns the user or ErrUserNotFound.
func (r *Users) ByID(ctx context.Context, id string) (identity.User, error) {
	return r.one(ctx, r.db.r, "SELECT "+userColumns+" FROM users WHERE id = ?", id)
}

// ByEmail returns the user with that normalised email or ErrUserNotFound.
func (r *Users) ByEmail(ctx context.Context, email string) (identity.User, error) {
	return r.one(ctx, r.db.r, "SELECT "+userColumns+" FROM users WHERE email = ?", email)
}

// RevokeTokens raises the user's token generation, and sets the password hash when one is
// given, in one statement.
func (r *Users) RevokeTokens(ctx context.Context, id, passwordHash string) (identity.User, error) {
	return r.one(ctx, r.db.w, "UPDATE users SET token_generation = token_generation + 1, "+
		"password_hash = CASE WHEN ?1 = '' THEN password_hash ELSE ?1 END WHERE id = ?2 RETURNING "+userColumns, passwordHash, id)
}

func (r *Users) one(ctx context.Context, q querier, query string, args ...any) (identity.User, error) {
	u, err := scanUser(r.db.queryRow(ctx, q, query, args...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return identity.User{}, identity.ErrUserNotFound
	case err != nil:
		return identity.User{}, storeError("sqlite: find user: %w", err)
	}
	return u, nil
}

// ByIDs returns the users that exist among ids, each once, in no particular order.
func (r *Users) ByIDs(ctx context.Context, ids []string) ([]identity.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := jsonList(ids)
	if err != nil {
		return nil, err
	}
	var out []identity.User
	err = r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		u, err := scanUser(rows)
		out = append(out, u)
		return err
	}, "SELECT "+userColumns+" FROM users WHERE id IN (SELECT value FROM json_each(?))", list)
	if err != nil {
		return nil, storeError("sqlite: find users by ids: %w", err)
	}
	return out, nil
}

// jsonList encodes a list of ids as one JSON array parameter, read with json_each: one
// statement text whatever the number of ids.
func jsonList(ids []string) (string, error) {
	b, err := json.Marshal(ids)
	if err != nil {
		return "", storeError("sqlite: encode ids: %w", err)
	}
	return string(b), nil
}
