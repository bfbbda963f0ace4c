package idempotency

import (
	"context"
	"time"
)

// Repository stores records, one per (Scope, Key), unique by the database.
type Repository interface {
	// Insert stores r unless a record with its scope and key exists; then it returns that
	// record and false.
	Insert(ctx context.Context, r Record) (existing Record, inserted bool, err error)
	// Complete stores the answer of the claim token; ErrClaimLost when the record is no longer
	// that claim's.
	Complete(ctx context.Context, scope, key, token string, status int, header map[string]string, body []byte) error
	// Release deletes the record if it is still the claim token's.
	Release(ctx context.Context, scope, key, token string) error
	// DeleteExpired deletes the records expired at now.
	DeleteExpired(ctx context.Context, now time.Time) error
}
