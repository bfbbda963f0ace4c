package apikey

import (
	"context"
	"time"
)

// Repository stores API keys. Ids and hashes are unique (the database refuses a second).
type Repository interface {
	// Create stores k; ErrKeyExists when its id or hash is taken.
	Create(ctx context.Context, k Key) error
	// ByID returns the key or ErrKeyNotFound.
	ByID(ctx context.Context, id string) (Key, error)
	// ByHash returns the key whose token hashes to hash, or ErrKeyNotFound.
	ByHash(ctx context.Context, hash string) (Key, error)
	// List returns a workspace's keys by id, after the given id, at most limit.
	List(ctx context.Context, workspaceID, afterID string, limit int) ([]Key, error)
	// Count counts a workspace's keys.
	Count(ctx context.Context, workspaceID string) (int, error)
	// Delete removes a workspace's key and returns it as it was; ErrKeyNotFound when missing.
	Delete(ctx context.Context, workspaceID, id string) (Key, error)
	// Touch sets the key's last use to at, unless it is already at or after notBefore; several
	// instances racing write it once. A missing key is no error.
	Touch(ctx context.Context, id string, at, notBefore time.Time) error
}

// Grants is the workspace module's answer to "may user U give a key role R in workspace W?"
// (the role table lives there): nil when allowed; its not-found error when U is not a member,
// its forbidden error when U may not manage keys or not give R, a validation error for a role
// that is not one or is OWNER.
type Grants interface {
	AuthorizeKeyRole(ctx context.Context, workspaceID, userID, role string) error
}
