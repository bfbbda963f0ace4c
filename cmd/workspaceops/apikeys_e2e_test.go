package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// createKey creates an API key in the workspace as u and returns it as a user whose token is
// the key and whose id is the key's actor id.
func (s *server) createKey(t *testing.T, u user, wid, name, role string) (key user, keyID string) {
	t.Helper()
	r := s.call("POST", "/api/v1/workspaces/"+wid+"/api-keys", u.token, map[string]string{"name": name, "role": role}).want(t, 201)
	tok, id := r.str("token"), r.str("id")
	if !strings.HasPrefix(tok, "wso_") || r.str("prefix") != tok[:12] || r.str("role") != role || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created key %s %v", r.raw, r.header)
	}
	return user{id: "apikey:" + id, email: name, token: tok}, id
}

// TestAPIKeyScope: a key acts in its workspace only, with its role, on REST (Bearer or
// X-Api-Key) and on the WebSocket; routes that act for a person refuse it; lists never show
// tokens; creation is limited by role and audited with the user.
func TestAPIKeyScope(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	bob := s.register(t, "bob@example.com")
	mel := s.register(t, "mel@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201).str("id")
	other := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Other"}).want(t, 201).str("id")
	base := "/api/v1/workspaces/" + wid
	s.call("POST", base+"/members", ann.token, map[string]string{"email": bob.email, "role": "ADMIN"}).want(t, 201)
	s.call("POST", base+"/members", ann.token, map[string]string{"email": mel.email, "role": "MEMBER"}).want(t, 201)

	admin, adminID := s.createKey(t, ann, wid, "deploys", "ADMIN")

	// Bearer and X-Api-Key alike, acting as the key.
	if got := s.call("GET", base, admin.token, nil).want(t, 200); got.str("id") != wid || got.str("role") != "ADMIN" {
		t.Fatalf("the key sees %s", got.raw)
	}
	item := s.call("POST", base+"/work-items", "", map[string]string{"title": "From CI"}, "X-Api-Key", admin.token).want(t, 201)
	if item.str("createdBy") != admin.id {
		t.Fatalf("an item created with a key names %q, want %q", item.str("createdBy"), admin.id)
	}
	s.call("POST", base+"/members", admin.token, map[string]string{"email": "new@example.com", "role": "VIEWER"}).want(t, 201)

	// Other workspaces do not exist for it; person routes refuse it; it cannot delete.
	s.call("GET", "/api/v1/workspaces/"+other, admin.token, nil).want(t, 404, "workspace_not_found")
	s.call("GET", "/api/v1/workspaces/"+other+"/work-items", "", nil, "X-Api-Key", admin.token).want(t, 404, "workspace_not_found")
	s.call("GET", "/api/v1/me", admin.token, nil).want(t, 403, "user_token_required")
	s.call("GET", "/api/v1/workspaces", admin.token, nil).want(t, 403, "user_token_required")
	s.call("POST", "/api/v1/workspaces", admin.token, map[string]string{"name": "Mine"}).want(t, 403, "user_token_required")
	s.call("POST", base+"/api-keys", admin.token, map[string]string{"name": "child", "role": "VIEWER"}).want(t, 403, "user_token_required")
	s.call("POST", "/api/v1/auth/logout-all", admin.token, nil).want(t, 403, "user_token_required")
	s.call("DELETE", base, admin.token, nil).want(t, 403, "forbidden")

	// Lower roles are held to them.
	viewer, _ := s.createKey(t, ann, wid, "dashboard", "VIEWER")
	s.call("GET", base+"/work-items", viewer.token, nil).want(t, 200)
	s.call("POST", base+"/work-items", viewer.token, map[string]string{"title": "No"}).want(t, 403, "forbidden")
	member, _ := s.createKey(t, ann, wid, "bot", "MEMBER")
	s.call("POST", base+"/work-items", member.token, map[string]string{"title": "Yes"}).want(t, 201)
	s.call("PATCH", base, member.token, map[string]string{"name": "Renamed"}).want(t, 403, "forbidden")
	s.call("POST", base+"/members", member.token, map[string]string{"email": "x@example.com", "role": "VIEWER"}).want(t, 403, "forbidden")

	// Who may create which key.
	s.call("POST", base+"/api-keys", bob.token, map[string]string{"name": "boss", "role": "OWNER"}).want(t, 400, "validation_failed")
	s.call("POST", base+"/api-keys", ann.token, map[string]string{"name": "boss", "role": "OWNER"}).want(t, 400, "validation_failed")
	s.createKey(t, bob, wid, "bob's", "ADMIN")
	s.call("POST", base+"/api-keys", mel.token, map[string]string{"name": "mine", "role": "VIEWER"}).want(t, 403, "forbidden")
	s.call("POST", base+"/api-keys", ann.token, map[string]string{"name": " ", "role": "VIEWER", "expiresAt": "2001-01-01T00:00:00Z"}).
		want(t, 400, "validation_failed")
	s.call("GET", base+"/api-keys", mel.token, nil).want(t, 403, "forbidden")
	s.call("POST", "/api/v1/workspaces/"+other+"/api-keys", bob.token, map[string]string{"name": "x", "role": "VIEWER"}).want(t, 404, "workspace_not_found")

	// The list shows every key, never a token; the used ones have lastUsedAt.
	list := s.call("GET", base+"/api-keys", bob.token, nil).want(t, 200)
	if len(list.items()) != 4 || strings.Contains(list.raw, admin.token) || strings.Contains(list.raw, `"token"`) {
		t.Fatalf("key list %s", list.raw)
	}
	for _, k := range list.items() {
		if k["id"] == adminID && k["lastUsedAt"] == nil {
			t.Fatalf("a used key without lastUsedAt: %v", k)
		}
	}

	// Creation is audited with the user, never the token.
	created := s.call("GET", base+"/audit-log?action=API_KEY_CREATED", ann.token, nil).want(t, 200)
	if len(created.items()) != 4 || created.items()[0]["actorId"] == nil || strings.Contains(created.raw, admin.token) {
		t.Fatalf("api-key:created entries %s", created.raw)
	}
	actors := map[any]bool{}
	for _, e := range created.items() {
		actors[e["actorId"]] = true
	}
	if !actors[ann.id] || !actors[bob.id] || len(actors) != 2 {
		t.Fatalf("api-key:created actors %v, want ann and bob", actors)
	}
	if e := s.call("GET", base+"/audit-log?actorId="+admin.id, ann.token, nil).want(t, 200).items(); len(e) != 2 {
		t.Fatalf("%d entries by the admin key, want its work item and its invitation", len(e))
	}

	// Deleting a workspace deletes its keys: they authenticate nothing any more.
	otherKey, _ := s.createKey(t, ann, other, "other", "MEMBER")
	s.call("GET", "/api/v1/workspaces/"+other, otherKey.token, nil).want(t, 200)
	s.call("DELETE", "/api/v1/workspaces/"+other, ann.token, nil).want(t, 204)
	s.call("GET", "/api/v1/workspaces/"+other, otherKey.token, nil).want(t, 401, "invalid_token")
	s.call("GET", base, admin.token, nil).want(t, 200)
}

// TestAPIKeyRealtimeAndRevocation: a key on /ws (Bearer header, X-Api-Key header or auth frame)
// and on SSE receives its workspace's events and cannot join another; revoking it refuses it at
// once everywhere and closes its open connections with 4001.
func TestAPIKeyRealtimeAndRevocation(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201).str("id")
	other := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Other"}).want(t, 201).str("id")
	base := "/api/v1/workspaces/" + wid
	key, keyID := s.createKey(t, ann, wid, "listener", "VIEWER")
	keep, _ := s.createKey(t, ann, wid, "kept", "VIEWER")

	byFrame := s.live(t, key)
	byFrame.join(wid, nil)
	byFrame.send(map[string]any{"type": "join", "workspaceId": other, "ref": "x"})
	if m := byFrame.next(); m["type"] != "error" || m["code"] != "not_found" || m["ref"] != "x" {
		t.Fatalf("joining another workspace answered %v", m)
	}
	byBearer := s.dialWS(t, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key.token}}})
	if m := byBearer.next(); m["type"] != "ready" || m["userId"] != key.id {
		t.Fatalf("handshake with Bearer answered %v", m)
	}
	byBearer.join(wid, nil)
	byHeader := s.dialWS(t, &websocket.DialOptions{HTTPHeader: http.Header{"X-Api-Key": {key.token}}})
	if m := byHeader.next(); m["type"] != "ready" || m["userId"] != key.id {
		t.Fatalf("handshake with X-Api-Key answered %v", m)
	}
	kept := s.live(t, keep)
	kept.join(wid, nil)

	ticket := s.call("POST", "/api/v1/realtime/tickets", "", nil, "X-Api-Key", key.token).want(t, 200).str("ticket")
	status, sse := s.openSSE(t, ticket, wid, "")
	if status != 200 {
		t.Fatalf("GET /events with a key's ticket: %d", status)
	}
	unused := s.call("POST", "/api/v1/realtime/tickets", key.token, nil).want(t, 200).str("ticket")

	s.call("POST", base+"/work-items", ann.token, map[string]string{"title": "Seen"}).want(t, 201)
	for _, c := range []*rtClient{byFrame, byBearer} {
		if ev := c.event("work-item:created"); ev["workspaceId"] != wid {
			t.Fatalf("event %v", ev)
		}
	}

	s.call("DELETE", base+"/api-keys/"+keyID, ann.token, nil).want(t, 204)
	for name, c := range map[string]*rtClient{"auth frame": byFrame, "Bearer": byBearer, "X-Api-Key": byHeader} {
		if code := c.closeCode(); code != 4001 {
			t.Errorf("the %s socket of a revoked key closed with %d, want 4001", name, code)
		}
	}
	if code := sse.closeCode(); code != 4001 {
		t.Errorf("the key's SSE stream closed with %d, want 4001", code)
	}
	s.call("GET", base, key.token, nil).want(t, 401, "invalid_token")
	s.call("GET", base, "", nil, "X-Api-Key", key.token).want(t, 401, "invalid_token")
	if status, _ := s.openSSE(t, unused, wid, ""); status != 401 {
		t.Errorf("a ticket of a revoked key opened a stream: %d", status)
	}
	s.call("DELETE", base+"/api-keys/"+keyID, ann.token, nil).want(t, 404, "api_key_not_found")
	revoked := s.call("GET", base+"/audit-log?action=API_KEY_REVOKED", ann.token, nil).want(t, 200).items()
	if len(revoked) != 1 || revoked[0]["actorId"] != ann.id || revoked[0]["targetId"] != keyID {
		t.Fatalf("api-key:revoked entries %v", revoked)
	}

	// The other key is untouched, and hears of the revocation.
	s.call("GET", base, keep.token, nil).want(t, 200)
	kept.event("work-item:created")
	if ev := kept.event("api-key:revoked"); ev["data"].(map[string]any)["targetId"] != keyID {
		t.Fatalf("revocation event %v", ev)
	}
}
