package main

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestTokenOfAUserThatDoesNotExist: a token signed with the server's own secret for a user that
// does not exist is refused everywhere with 401 invalid_token (it used to create a workspace
// owned by nobody), and a WebSocket authenticating with it is closed with 4001.
func TestTokenOfAUserThatDoesNotExist(t *testing.T) {
	s := startServer(t, nil)
	now := time.Now()
	ghost, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject: "0123456789abcdef01234567", Issuer: "workspaceops", Audience: jwt.ClaimStrings{"workspaceops-api"},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	s.call("GET", "/api/v1/me", ghost, nil).want(t, 401, "invalid_token")
	s.call("POST", "/api/v1/workspaces", ghost, map[string]string{"name": "Nobody's"}).want(t, 401, "invalid_token")
	s.call("GET", "/api/v1/workspaces", ghost, nil).want(t, 401, "invalid_token")
	s.call("POST", "/api/v1/realtime/tickets", ghost, nil).want(t, 401, "invalid_token")

	c := s.dialWS(t, nil)
	c.send(map[string]any{"type": "auth", "token": ghost, "ref": "a"})
	if code := c.closeCode(); code != 4001 {
		t.Fatalf("auth with the token of nobody closed with %d, want 4001", code)
	}
	// A real user is served as before.
	ann := s.register(t, "ann@example.com")
	s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201)
}
