package token

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/workspaceops/workspaceops/modules/identity"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

func newJWT(t *testing.T) *JWT {
	t.Helper()
	j, err := New(Config{Secret: secret, Issuer: "wso", Audience: "wso-api", TTL: time.Hour, Leeway: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	j := newJWT(t)
	tok, err := j.Issue(identity.User{ID: "user-1", TokenGeneration: 3}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("expires %v", tok.ExpiresAt)
	}
	p, err := j.Verify(tok.Value, now.Add(59*time.Minute))
	if err != nil || p.UserID != "user-1" || !p.ExpiresAt.Equal(tok.ExpiresAt) || p.Generation != 3 {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	if _, err := j.Verify(tok.Value, now.Add(time.Hour+3*time.Second)); err != nil {
		t.Errorf("leeway not applied: %v", err)
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejects(t *testing.T) {
	j := newJWT(t)
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "u", "iss": "wso", "aud": "wso-api", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims { c := good(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := good(); delete(c, k); return c }
	unsigned := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	valid, _ := j.Issue(identity.User{ID: "u"}, now)
	parts := strings.Split(valid.Value, ".")
	hs512Header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))

	cases := map[string]string{
		"alg none":             unsigned(good()),
		"alg HS512":            sign(t, jwt.SigningMethodHS512, secret, good()),
		"header swapped":       hs512Header + "." + parts[1] + "." + parts[2],
		"wrong secret":         sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), good()),
		"expired":              sign(t, jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix())),
		"no exp":               sign(t, jwt.SigningMethodHS256, secret, without("exp")),
		"no iat":               sign(t, jwt.SigningMethodHS256, secret, without("iat")),
		"no sub":               sign(t, jwt.SigningMethodHS256, secret, without("sub")),
		"wrong issuer":         sign(t, jwt.SigningMethodHS256, secret, with("iss", "evil")),
		"wrong audience":       sign(t, jwt.SigningMethodHS256, secret, with("aud", "other")),
		"issued in the future": sign(t, jwt.SigningMethodHS256, secret, with("iat", now.Add(time.Hour).Unix())),
		"garbage":              "not.a.jwt",
		"empty":                "",
		"tampered payload":     parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2],
		"exp as a string":      sign(t, jwt.SigningMethodHS256, secret, with("exp", fmt.Sprint(now.Add(time.Hour).Unix()))),
		"iat as a string":      sign(t, jwt.SigningMethodHS256, secret, with("iat", fmt.Sprint(now.Unix()))),
		"gen as a string":      sign(t, jwt.SigningMethodHS256, secret, with("gen", "1")),
		"gen fractional":       sign(t, jwt.SigningMethodHS256, secret, with("gen", 1.5)),
		"gen negative":         sign(t, jwt.SigningMethodHS256, secret, with("gen", -1)),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if p, err := j.Verify(tok, now); !errors.Is(err, identity.ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
		})
	}
}

func TestNewRejectsWeakConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"short secret": {Secret: []byte("short"), Issuer: "i", Audience: "a", TTL: time.Hour},
		"no issuer":    {Secret: secret, Audience: "a", TTL: time.Hour},
		"no ttl":       {Secret: secret, Issuer: "i", Audience: "a"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// A token verified once is remembered, but only within the window its claims make it valid in:
// the second look at an expired or not-yet-valid token refuses it as the first would.
func TestVerifiedTokenHoldsOnlyWithinItsClaims(t *testing.T) {
	j := newJWT(t)
	nbf := now.Add(time.Minute)
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "u", "iss": "wso", "aud": "wso-api",
		"iat": now.Unix(), "nbf": nbf.Unix(), "exp": now.Add(time.Hour).Unix(), "gen": 2})
	if _, err := j.Verify(tok, now); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("before nbf: %v", err)
	}
	if p, err := j.Verify(tok, nbf); err != nil || p.UserID != "u" || p.Generation != 2 {
		t.Fatalf("at nbf: %+v, %v", p, err)
	}
	for _, at := range []time.Time{now, nbf.Add(-6 * time.Second), now.Add(time.Hour + 5*time.Second)} {
		if _, err := j.Verify(tok, at); !errors.Is(err, identity.ErrInvalidToken) {
			t.Errorf("remembered token accepted at %v: %v", at, err)
		}
	}
	for _, at := range []time.Time{nbf.Add(-5 * time.Second), now.Add(time.Hour + 4*time.Second)} {
		if _, err := j.Verify(tok, at); err != nil {
			t.Errorf("remembered token refused at %v (within the leeway): %v", at, err)
		}
	}
	// Another secret's verifier never saw it: remembering is per verifier, so per secret.
	other, err := New(Config{Secret: []byte("another secret of thirty-two bytes!"), Issuer: "wso", Audience: "wso-api", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(tok, nbf); !errors.Is(err, identity.ErrInvalidToken) {
		t.Errorf("another secret accepted the token: %v", err)
	}
}

func TestVerifiedTokensAreBounded(t *testing.T) {
	var v verified
	p := identity.Principal{UserID: "u"}
	for i := range maxVerified + 10 {
		v.put(fmt.Sprint("t", i), p, now, now.Add(time.Hour), now)
	}
	if n := len(v.tokens); n > maxVerified {
		t.Fatalf("%d tokens remembered, at most %d", n, maxVerified)
	}
	if _, ok := v.get(fmt.Sprint("t", maxVerified+9), now); !ok {
		t.Error("the token put last is forgotten")
	}
}
