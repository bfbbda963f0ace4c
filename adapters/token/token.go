// Package token implements identity.Tokens with HS256-signed JWTs (golang-jwt v5).
//
// Verification pins the algorithm to HS256 (so "none" and every other alg are refused), requires
// exp, iat and sub, checks iss and aud, and allows a small leeway for clock skew. It is the one
// verifier behind REST authentication and, later, the WebSocket handshake.
package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// Config configures the signer.
type Config struct {
	Secret   []byte
	Issuer   string
	Audience string
	TTL      time.Duration
	Leeway   time.Duration
}

// MinSecretLen is the shortest accepted HMAC secret (256 bits, as HS256 needs).
const MinSecretLen = 32

// JWT issues and verifies tokens.
type JWT struct {
	cfg  Config
	seen verified
}

// New returns a JWT signer/verifier; it rejects weak configuration.
func New(cfg Config) (*JWT, error) {
	switch {
	case len(cfg.Secret) < MinSecretLen:
		return nil, fmt.Errorf("token: secret must be at least %d bytes", MinSecretLen)
	case cfg.Issuer == "" || cfg.Audience == "":
		return nil, errors.New("token: issuer and audience are required")
	case cfg.TTL <= 0:
		return nil, errors.New("token: lifetime must be positive")
	}
	return &JWT{cfg: cfg}, nil
}

// claims are the registered claims and the user's token generation ("gen", absent for 0).
type claims struct {
	jwt.RegisteredClaims
	Generation int64 `json:"gen,omitempty"`
}

// Issue signs a token for u valid from now for the configured lifetime.
func (j *JWT) Issue(u identity.User, now time.Time) (identity.Token, error) {
	exp := now.Add(j.cfg.TTL).Truncate(time.Second)
	claims := claims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   u.ID,
		Issuer:    j.cfg.Issuer,
		Audience:  jwt.ClaimStrings{j.cfg.Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	}, Generation: u.TokenGeneration}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(j.cfg.Secret)
	if err != nil {
		return identity.Token{}, fmt.Errorf("sign token: %w", err)
	}
	return identity.Token{Value: s, ExpiresAt: exp.UTC()}, nil
}

// Verify checks the token and returns its subject. A token that verified before answers from
// memory while its claims hold (verified).
func (j *JWT) Verify(tok string, now time.Time) (identity.Principal, error) {
	if p, ok := j.seen.get(tok, now); ok {
		return p, nil
	}
	if err := numericTimes(tok); err != nil {
		return identity.Principal{}, fmt.Errorf("%w: %v", identity.ErrInvalidToken, err)
	}
	var claims claims
	parsed, err := jwt.ParseWithClaims(tok, &claims,
		func(*jwt.Token) (any, error) { return j.cfg.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(j.cfg.Issuer),
		jwt.WithAudience(j.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(j.cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil || !parsed.Valid {
		return identity.Principal{}, fmt.Errorf("%w: %v", identity.ErrInvalidToken, err)
	}
	if claims.Subject == "" || claims.IssuedAt == nil || claims.Generation < 0 {
		return identity.Principal{}, fmt.Errorf("%w: missing sub or iat, or a negative gen", identity.ErrInvalidToken)
	}
	p := identity.Principal{UserID: claims.Subject, ExpiresAt: claims.ExpiresAt.UTC(), Generation: claims.Generation}
	from := claims.IssuedAt.Time
	if claims.NotBefore != nil && claims.NotBefore.After(from) {
		from = claims.NotBefore.Time
	}
	j.seen.put(tok, p, from.Add(-j.cfg.Leeway), claims.ExpiresAt.Add(j.cfg.Leeway), now)
	return p, nil
}

// numericTimes refuses a token whose exp, iat, nbf or gen is not a JSON number: RFC 7519 makes them
// NumericDates, but the library also reads a string such as "9999999999".
func numericTimes(tok string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("not three segments")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	for _, name := range []string{"exp", "iat", "nbf", "gen"} {
		if v, ok := claims[name]; ok && (len(v) == 0 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9')) {
			return fmt.Errorf("%s is not a number", name)
		}
	}
	return nil
}
