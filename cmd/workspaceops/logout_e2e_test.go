package main

import (
	"testing"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
	"github.com/workspaceops/workspaceops/adapters/natsbus/natstest"
)

// TestLogoutAllRevokesEverySession: signing out everywhere refuses every token issued before on
// REST (the caller's too), closes the user's open WebSocket and SSE stream with 4001 at once, and
// a new login works; other users are untouched.
func TestLogoutAllRevokesEverySession(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	bob := s.register(t, "bob@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201).str("id")
	laptop := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": ann.email, "password": "correct-horse"}).want(t, 200).str("token")

	ws := s.live(t, ann)
	status, sse := s.openSSE(t, s.ticket(t, ann), wid, "")
	if status != 200 {
		t.Fatalf("GET /events: %d", status)
	}
	bobWS := s.live(t, bob)
	unused := s.ticket(t, ann)

	s.call("POST", "/api/v1/auth/logout-all", laptop, nil).want(t, 204)
	if status, _ := s.openSSE(t, unused, wid, ""); status != 401 {
		t.Errorf("a ticket issued before logout-all opened a stream: %d, want 401", status)
	}

	if code := ws.closeCode(); code != 4001 {
		t.Errorf("the open WebSocket closed with %d, want 4001", code)
	}
	if code := sse.closeCode(); code != 4001 {
		t.Errorf("the SSE stream closed with %d, want 4001", code)
	}
	for _, tok := range []string{ann.token, laptop} {
		s.call("GET", "/api/v1/me", tok, nil).want(t, 401, "invalid_token")
		s.call("POST", "/api/v1/auth/refresh", tok, nil).want(t, 401, "invalid_token")
		s.call("POST", "/api/v1/realtime/tickets", tok, nil).want(t, 401, "invalid_token")
	}
	c := s.dialWS(t, nil)
	c.send(map[string]any{"type": "auth", "token": laptop, "ref": "a"})
	if code := c.closeCode(); code != 4001 {
		t.Errorf("auth with a revoked token closed with %d, want 4001", code)
	}

	again := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": ann.email, "password": "correct-horse"}).want(t, 200).str("token")
	s.call("GET", "/api/v1/workspaces/"+wid, again, nil).want(t, 200)
	s.call("GET", "/api/v1/me", bob.token, nil).want(t, 200)
	bobWS.send(map[string]any{"type": "ping", "ref": "p"})
	if m := bobWS.next(); m["type"] != "pong" {
		t.Errorf("another user's socket answered %v", m)
	}
}

// TestPasswordChange: the current password is required, the new one is validated, and a change
// revokes every earlier token and returns the one session that stays valid.
func TestPasswordChange(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	ws := s.live(t, ann)
	s.call("POST", "/api/v1/auth/password", ann.token, map[string]string{"currentPassword": "wrong-horse", "newPassword": "battery-staple"}).
		want(t, 403, "wrong_password")
	s.call("POST", "/api/v1/auth/password", ann.token, map[string]string{"currentPassword": "correct-horse", "newPassword": "short"}).
		want(t, 400, "validation_failed")
	s.call("POST", "/api/v1/auth/password", ann.token, map[string]string{"currentPassword": "correct-horse"}).
		want(t, 400, "validation_failed")
	s.call("GET", "/api/v1/me", ann.token, nil).want(t, 200) // refused changes revoke nothing

	fresh := s.call("POST", "/api/v1/auth/password", ann.token, map[string]string{"currentPassword": "correct-horse", "newPassword": "battery-staple"}).
		want(t, 200).str("token")
	s.call("GET", "/api/v1/me", ann.token, nil).want(t, 401, "invalid_token")
	s.call("GET", "/api/v1/me", fresh, nil).want(t, 200)
	if code := ws.closeCode(); code != 4001 {
		t.Errorf("the open WebSocket closed with %d, want 4001", code)
	}
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": ann.email, "password": "correct-horse"}).want(t, 401, "invalid_credentials")
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": ann.email, "password": "battery-staple"}).want(t, 200)
}

// TestLogoutAllAcrossInstances: with two instances on one store and NATS, signing out
// everywhere through one closes the user's socket on the other with 4001, and that one refuses
// the old token from then on, without waiting for its cache to expire.
func TestLogoutAllAcrossInstances(t *testing.T) {
	c := startRevocationCluster(t)
	a, b := c.nodes[0].srv, c.nodes[1].srv
	ann := a.register(t, "ann@example.com")
	b.call("GET", "/api/v1/me", ann.token, nil).want(t, 200) // b has the token's generation cached now
	ws := b.live(t, ann)
	for _, n := range c.nodes {
		n.waitStatus(t, "/readyz/realtime", 200) // connected to NATS
	}

	a.call("POST", "/api/v1/auth/logout-all", ann.token, nil).want(t, 204)
	if code := ws.closeCode(); code != 4001 {
		t.Fatalf("the socket on the other instance closed with %d, want 4001", code)
	}
	b.call("GET", "/api/v1/me", ann.token, nil).want(t, 401, "invalid_token")
}

// TestAPIKeyRevocationAcrossInstances: revoking a key on one instance closes its socket on the
// other at once (relayed over NATS) and the other refuses it on REST at once.
func TestAPIKeyRevocationAcrossInstances(t *testing.T) {
	c := startRevocationCluster(t)
	a, b := c.nodes[0].srv, c.nodes[1].srv
	ann := a.register(t, "ann@example.com")
	wid := a.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201).str("id")
	key, keyID := a.createKey(t, ann, wid, "listener", "VIEWER")
	b.call("GET", "/api/v1/workspaces/"+wid, key.token, nil).want(t, 200)
	ws := b.live(t, key)
	ws.join(wid, nil)
	for _, n := range c.nodes {
		n.waitStatus(t, "/readyz/realtime", 200) // connected to NATS
	}

	a.call("DELETE", "/api/v1/workspaces/"+wid+"/api-keys/"+keyID, ann.token, nil).want(t, 204)
	if code := ws.closeCode(); code != 4001 {
		t.Fatalf("the key's socket on the other instance closed with %d, want 4001", code)
	}
	b.call("GET", "/api/v1/workspaces/"+wid, key.token, nil).want(t, 401, "invalid_token")
}

// startRevocationCluster starts two instances sharing a MongoDB database and a NATS server.
func startRevocationCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts two server processes and a NATS server")
	}
	nats := natstest.Start(t)
	return startCluster(t, 2, map[string]string{
		"MONGO_URI": mongotest.URI(), "WSO_MONGO_DATABASE": mongotest.Database(t).Name(), "JWT_SECRET": testSecret,
		"WSO_NATS_URL": nats.URL(), "WSO_LOG_LEVEL": "warn", "WSO_LOG_FORMAT": "json", "WSO_WS_DRAIN": "100ms",
	})
}

// closeCode reads the stream until its close frame and returns its code (0 when it ended
// without one).
func (st *sseStream) closeCode() int {
	for {
		m, ok := st.next()
		if !ok {
			return 0
		}
		if m.frame["type"] == "close" {
			code, _ := m.frame["code"].(float64)
			return int(code)
		}
	}
}
