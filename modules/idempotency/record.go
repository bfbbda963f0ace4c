package idempotency

import (
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// Record is one use of an Idempotency-Key by one principal.
type Record struct {
	Scope string // the principal's actor id: keys of different callers never meet
	// Key is the Idempotency-Key in the Keeper's answers; in the Repository, a hash of it (the
	// body is sealed too: see seal.go).
	Key string
	// Fingerprint identifies the request (method, path and body, hashed by the transport): the
	// same key with another request is refused rather than answered with the first's answer.
	Fingerprint string
	// Token identifies the claim, so that only the request that claimed the key completes or
	// releases it.
	Token string
	// Status is the answer's HTTP status; 0 while the first request is still running.
	Status int
	Header map[string]string // the answer's headers worth replaying (Content-Type, Location, ETag)
	Body   []byte            // the answer's body (in the Repository, sealed)
	// LockedUntil: a claim still running after it is taken to have died with its process, and
	// the key may be claimed again.
	LockedUntil time.Time
	ExpiresAt   time.Time
}

// Done reports whether the first request finished and its answer can be replayed.
func (r Record) Done() bool { return r.Status != 0 }

// Limits.
const (
	// MaxKeyLen bounds a key, which is printable ASCII.
	MaxKeyLen = 255
	// MaxBodyBytes bounds a stored answer; a larger one is not kept (the key is released).
	MaxBodyBytes = 64 << 10
	// Retention is how long an answer is replayed.
	Retention = 24 * time.Hour
	// LockTTL is how long a running claim holds its key against a crashed process.
	LockTTL = 5 * time.Minute
)

// Errors.
var (
	ErrInvalidKey = apperr.New(apperr.Invalid, "invalid_idempotency_key",
		"the Idempotency-Key must be 1 to 255 printable ASCII characters")
	ErrKeyReused = apperr.New(apperr.Unprocessable, "idempotency_key_reused",
		"this Idempotency-Key was used with a different request; use a new key for a new request")
	ErrKeyInUse = apperr.New(apperr.Conflict, "idempotency_key_in_use",
		"a request with this Idempotency-Key is still running; retry when it has finished")
	// ErrClaimLost is a repository's answer to completing or releasing a claim that is no
	// longer the record's (it expired and was claimed again).
	ErrClaimLost = apperr.New(apperr.Conflict, "idempotency_claim_lost", "the idempotency claim was lost")
)

// ValidKey reports whether key may be an Idempotency-Key.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
