package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/text"
)

// Key is an API key as stored: never its token, only the token's hash and first characters.
type Key struct {
	ID          string
	WorkspaceID string
	Name        string
	// Role is the workspace role the key acts with (ADMIN, MEMBER or VIEWER; never OWNER).
	Role string
	// Prefix is the token's first characters, shown so that a person recognises a key.
	Prefix string
	// Hash is the hex SHA-256 of the token. A token has 256 random bits, so a fast hash is
	// enough: there is nothing to guess a dictionary from.
	Hash       string
	CreatedBy  string // the user who created it
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never
	LastUsedAt *time.Time // nil: never used
}

// Expired reports whether the key no longer authenticates at now.
func (k Key) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// Limits of a key.
const (
	MaxNameLen = 100
	// TokenPrefix starts every token, so that a token is recognised (by this service choosing
	// how to verify it, and by secret scanners).
	TokenPrefix = "wso_"
	// tokenBytes is the token's randomness.
	tokenBytes = 32
	// prefixLen is how much of the token is kept in clear: "wso_" and 8 characters.
	prefixLen = len(TokenPrefix) + 8
	// maxTokenLen bounds what Verify hashes; a real token is 47 characters at most.
	maxTokenLen = 64
)

// IsToken reports whether a bearer token is an API key's (rather than a user's JWT).
func IsToken(token string) bool { return strings.HasPrefix(token, TokenPrefix) }

// newToken returns a fresh token: the prefix and 32 random bytes in base62.
func newToken() string {
	var b [tokenBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return TokenPrefix + new(big.Int).SetBytes(b[:]).Text(62)
}

// hashToken returns the stored form of a token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validate checks a new key's name and expiry, returning the trimmed name.
func validate(name string, expiresAt *time.Time, now time.Time) (string, error) {
	var f apperr.Fields
	name, msg := text.Line(name, MaxNameLen)
	if msg != "" {
		f.Add("name", msg)
	}
	if expiresAt != nil && !expiresAt.After(now) {
		f.Add("expiresAt", "must be in the future")
	}
	return name, f.Err()
}
