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
