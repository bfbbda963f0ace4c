package identity

import (
	"context"
	"time"
)

// Repository stores users.
type Repository interface {
	// Create stores a new user; ErrEmailTaken when the email is already registered.
	Create(ctx context.Context, u User) error
	// ByID returns the user or ErrUserNotFound.
	ByID(ctx context.Context, id string) (User, error)
	// ByEmail returns the user with that normalised email or ErrUserNotFound.
	ByEmail(ctx context.Context, email string) (User, error)
	// ByIDs returns the users that exist among ids, in no particular order.
	ByIDs(ctx context.Context, ids []string) ([]User, error)
	// RevokeTokens raises the user's token generation by one, and replaces the password hash
	// when passwordHash is not empty, atomically; it returns the user as stored afterwards, or
	// ErrUserNotFound.
	RevokeTokens(ctx context.Context, id, passwordHash string) (User, error)
}

// PasswordHasher hashes passwords and checks them against stored hashes.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash, in time independent of where they differ.
	Verify(hash, password string) (bool, error)
}

// Token is a signed bearer token and the moment it stops being accepted.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

// Principal is who a verified token speaks for, and until when.
type Principal struct {
	// UserID is the actor: a user's id, or for an API key authz.KeyActor(KeyID).
	UserID    string
	ExpiresAt time.Time
	// Generation is the user's token generation when the token was issued (0 for a key: a
	// revoked key's connections are closed as generation 1 revokes them).
	Generation int64
	// KeyID is set when an API key (not a user's token) was presented.
	KeyID string
}

// IsKey reports whether the principal is an API key.
func (p Principal) IsKey() bool { return p.KeyID != "" }

// Tokens issues and verifies bearer tokens.
type Tokens interface {
	// Issue signs a token for the user at their current token generation.
	Issue(u User, now time.Time) (Token, error)
	// Verify returns who the token was issued to and until when it is valid, or an error
	// wrapping ErrInvalidToken.
	Verify(token string, now time.Time) (Principal, error)
}

// Throttle counts failures per key and says how long a key must wait before trying again.
type Throttle interface {
	// Wait returns 0 when key may try now, or how long it must wait.
	Wait(key string) time.Duration
	Fail(key string)
	Reset(key string)
}

// Throttles are the two login throttles: per email (guessing one account's password) and per
// client address (spraying passwords over many accounts).
type Throttles struct {
	ByEmail Throttle
	ByAddr  Throttle
}

// RegistrationListener is told about every new user, so that other modules can react (the
// workspace module turns pending invitations for that email into memberships). An error is
// logged, never undoes the registration.
type RegistrationListener interface {
	UserRegistered(ctx context.Context, userID, email string) error
}

// NoRegistrationListener ignores registrations.
type NoRegistrationListener struct{}

// UserRegistered does nothing.
func (NoRegistrationListener) UserRegistered(context.Context, string, string) error { return nil }
