package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

// TestMain starts the MongoDB-compatible server the cluster test (and, with
// WSO_TEST_STORE=mongo, every test) runs on.
func TestMain(m *testing.M) { mongotest.Main(m) }

// withStore adds to env the database a test server runs on: the embedded default (SQLite in a
// fresh directory), or with WSO_TEST_STORE=mongo the MongoDB adapter on the server mongotest
// started (CI runs the end-to-end suite both ways). It also turns the metrics listener off (its
// default address is one per machine); a test that scrapes gives it a free one.
func withStore(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	env["WSO_METRICS_ADDR"] = "off"
	switch store := os.Getenv("WSO_TEST_STORE"); store {
	case "", "sqlite":
		env["MONGO_URI"], env["WSO_DATA_DIR"] = "", t.TempDir()
	case "mongo":
		env["MONGO_URI"], env["WSO_MONGO_DATABASE"] = mongotest.URI(), mongotest.Database(t).Name()
	default:
		t.Fatalf("WSO_TEST_STORE=%q: want sqlite or mongo", store)
	}
	return env
}

const testSecret = "e2e-secret-e2e-secret-e2e-secret-0123"

// server is the real command serving on a loopback port against the test database.
type server struct {
	base string
	t    *testing.T
}

func startServer(t *testing.T, extraEnv map[string]string) *server {
	t.Helper()
	addr := freeAddr(t)
	env := withStore(t, map[string]string{
		"WSO_ADDR":            addr,
		"JWT_SECRET":          testSecret,
		"WSO_LOG_LEVEL":       "warn",
		"WSO_ALLOWED_ORIGINS": "http://localhost:3000",
		// Tests make hundreds of requests as one user in seconds; the limit's own tests set it.
		"WSO_RATE_LIMIT": "off",
	})
	for k, v := range extraEnv {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	var logs syncBuffer
	go func() { exited <- run(ctx, nil, func(k string) string { return env[k] }, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("server exited with %d; logs:\n%s", code, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30s of its signal")
		}
	})
	s := &server{base: "http://" + addr, t: t}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case code := <-exited:
			t.Fatalf("server exited with %d before serving; logs:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy in 30s: %v; logs:\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends body (a string is sent verbatim, anything else as JSON) with an optional token.
func (s *server) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	// Every answer must keep the published contract (api/openapi.yaml).
	checkContract(s.t, req, resp.StatusCode, resp.Header, raw)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 && isJSONMedia(resp.Header.Get("Content-Type")) {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			s.t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return r
}

// isJSONMedia reports whether a Content-Type is JSON (application/json or a +json type such as
// application/problem+json); other answers (the YAML document, downloads) are kept in raw only.
func isJSONMedia(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// want fails unless r has the status (and, for errors, the problem code).
func (r response) want(t *testing.T, status int, code ...string) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if status >= 400 {
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("error content type %q", ct)
		}
		if r.body["status"] != float64(status) || r.body["title"] == "" || r.body["type"] == "" || r.body["detail"] == "" {
			t.Fatalf("not a problem document: %s", r.raw)
		}
	}
	if len(code) > 0 && r.body["code"] != code[0] {
		t.Fatalf("code %v, want %s; body %s", r.body["code"], code[0], r.raw)
	}
	return r
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

func (r response) items() []map[string]any {
	var out []map[string]any
	list, _ := r.body["items"].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

type user struct{ id, email, token string }

func (s *server) register(t *testing.T, email string) user {
	t.Helper()
	r := s.call("POST", "/api/v1/auth/register", "", map[string]string{"email": email, "password": "correct-horse", "displayName": "User " + email}).want(t, 201)
	u := r.body["user"].(map[string]any)
	if u["email"] != strings.ToLower(email) || r.str("token") == "" {
		t.Fatalf("register answer %s", r.raw)
	}
	return user{id: u["id"].(string), email: u["email"].(string), token: r.str("token")}
}

func TestWorkspaceFlow(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	bob := s.register(t, "Bob@Example.com")
	eve := s.register(t, "eve@example.com")

	// Login and /me.
	login := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "BOB@example.com", "password": "correct-horse"}).want(t, 200)
	me := s.call("GET", "/api/v1/me", login.str("token"), nil).want(t, 200)
	if me.str("id") != bob.id || me.str("email") != "bob@example.com" || me.str("displayName") != "User Bob@Example.com" {
		t.Fatalf("me = %s", me.raw)
	}
	refreshed := s.call("POST", "/api/v1/auth/refresh", bob.token, nil).want(t, 200)
	if refreshed.str("token") == "" || s.call("GET", "/api/v1/me", refreshed.str("token"), nil).status != 200 {
		t.Fatalf("refresh = %s", refreshed.raw)
	}

	// Ann creates a workspace and is its owner.
	ws := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201)
	wid := ws.str("id")
	if ws.str("role") != "OWNER" || ws.str("name") != "Launch" || ws.header.Get("Location") != "/api/v1/workspaces/"+wid {
		t.Fatalf("created %s", ws.raw)
	}
	mine := s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200)
	if items := mine.items(); len(items) != 1 || items[0]["id"] != wid || items[0]["role"] != "OWNER" {
		t.Fatalf("my workspaces = %s", mine.raw)
	}
	base := "/api/v1/workspaces/" + wid

	// Outsiders learn nothing; members see it.
	s.call("GET", base, bob.token, nil).want(t, 404, "workspace_not_found")
	s.call("GET", base+"/members", bob.token, nil).want(t, 404, "workspace_not_found")

	// Invite a registered user (active at once) and an unregistered email (pending).
	inv := s.call("POST", base+"/members", ann.token, map[string]string{"email": "bob@example.com", "role": "MEMBER"}).want(t, 201)
	if inv.str("status") != "ACTIVE" || inv.str("userId") != bob.id || inv.str("role") != "MEMBER" {
		t.Fatalf("invite bob = %s", inv.raw)
	}
	s.call("POST", base+"/members", ann.token, map[string]string{"email": "bob@example.com", "role": "VIEWER"}).want(t, 409, "already_member")
	pending := s.call("POST", base+"/members", ann.token, map[string]string{"email": "cat@example.com", "role": "VIEWER"}).want(t, 201)
	if pending.str("status") != "INVITED" || pending.str("invitationId") == "" {
		t.Fatalf("invite cat = %s", pending.raw)
	}
	members := s.call("GET", base+"/members", bob.token, nil).want(t, 200)
	statuses := map[string]string{}
	for _, m := range members.items() {
		statuses[m["email"].(string)] = m["status"].(string)
	}
	if fmt.Sprint(statuses) != "map[ann@example.com:ACTIVE bob@example.com:ACTIVE cat@example.com:INVITED]" {
		t.Fatalf("members = %s", members.raw)
	}

	// Cat registers and becomes a viewer through the invitation.
	cat := s.register(t, "cat@example.com")
	catView := s.call("GET", base, cat.token, nil).want(t, 200)
	if catView.str("role") != "VIEWER" {
		t.Fatalf("cat sees %s", catView.raw)
	}
	s.call("POST", base+"/members", cat.token, map[string]string{"email": "x@example.com", "role": "VIEWER"}).want(t, 403, "forbidden")

	// Role changes follow the ranks.
	s.call("PATCH", base+"/members/"+bob.id, bob.token, map[string]string{"role": "ADMIN"}).want(t, 403, "forbidden")
	promoted := s.call("PATCH", base+"/members/"+bob.id, ann.token, map[string]string{"role": "ADMIN"}).want(t, 200)
	if promoted.str("role") != "ADMIN" || promoted.str("email") != "bob@example.com" {
		t.Fatalf("promote = %s", promoted.raw)
	}
	s.call("PATCH", base+"/members/"+cat.id, bob.token, map[string]string{"role": "ADMIN"}).want(t, 403, "rank_too_low")
	s.call("PATCH", base+"/members/"+ann.id, bob.token, map[string]string{"role": "MEMBER"}).want(t, 403, "rank_too_low")
	s.call("PATCH", base+"/members/"+bob.id, bob.token, map[string]string{"role": "OWNER"}).want(t, 403, "own_role")
	s.call("PATCH", base+"/members/"+cat.id, bob.token, map[string]string{"role": "MEMBER"}).want(t, 200)
	s.call("PATCH", base+"/members/"+eve.id, ann.token, map[string]string{"role": "MEMBER"}).want(t, 404, "member_not_found")

	// Admins rename; the last owner cannot leave; members are removed and may leave.
	s.call("PATCH", base, bob.token, map[string]string{"name": "Launch v2"}).want(t, 200)
	s.call("PATCH", base, cat.token, map[string]string{"name": "nope"}).want(t, 403, "forbidden")
	s.call("DELETE", base+"/members/"+ann.id, ann.token, nil).want(t, 409, "last_owner")
	s.call("DELETE", base+"/members/"+cat.id, bob.token, nil).want(t, 204)
	s.call("GET", base, cat.token, nil).want(t, 404, "workspace_not_found")
	s.call("DELETE", base+"/members/"+bob.id, bob.token, nil).want(t, 204)

	// Pending invitations can be revoked.
	dan := s.call("POST", base+"/members", ann.token, map[string]string{"email": "dan@example.com", "role": "MEMBER"}).want(t, 201)
	s.call("DELETE", base+"/invitations/"+dan.str("invitationId"), ann.token, nil).want(t, 204)
	danUser := s.register(t, "dan@example.com")
	s.call("GET", base, danUser.token, nil).want(t, 404)

	// Only the owner deletes the workspace.
	s.call("DELETE", base, ann.token, nil).want(t, 204)
	s.call("GET", base, ann.token, nil).want(t, 404)
	if items := s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200).items(); len(items) != 0 {
		t.Fatalf("deleted workspace still listed: %v", items)
	}
}

func TestListPagination(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	for i := range 5 {
		s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": fmt.Sprint("ws ", i)}).want(t, 201)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 1; ; pages++ {
		r := s.call("GET", "/api/v1/workspaces?limit=2&cursor="+cursor, ann.token, nil).want(t, 200)
		for _, it := range r.items() {
			seen[it["id"].(string)] = true
		}
		cursor = r.str("nextCursor")
		if cursor == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d workspaces", len(seen))
	}
	s.call("GET", "/api/v1/workspaces?limit=500", ann.token, nil).want(t, 400, "invalid_limit")
	s.call("GET", "/api/v1/workspaces?cursor=%24%24%24", ann.token, nil).want(t, 400, "invalid_cursor")
}

func TestBadInputChangesNothing(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_MAX_BODY_BYTES": "4096"})
	ann := s.register(t, "ann@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Team"}).want(t, 201).str("id")

	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/api/v1/auth/register", `{"email":`, 400, "malformed_json"},
		{"not an object", "POST", "/api/v1/auth/register", `["a"]`, 400, "malformed_json"},
		{"two objects", "POST", "/api/v1/auth/register", `{"email":"z@example.com","password":"password1","displayName":"Z"}{}`, 400, "malformed_json"},
		{"empty body", "POST", "/api/v1/auth/register", ``, 400, "empty_body"},
		{"unknown field", "POST", "/api/v1/auth/register", `{"email":"z@example.com","password":"password1","displayName":"Z","admin":true}`, 400, "validation_failed"},
		{"wrong type", "POST", "/api/v1/auth/register", `{"email":"z@example.com","password":12345678,"displayName":"Z"}`, 400, "validation_failed"},
		{"operator injection in login", "POST", "/api/v1/auth/login", `{"email":{"$ne":""},"password":{"$ne":""}}`, 400, "validation_failed"},
		{"operator injection in register", "POST", "/api/v1/auth/register", `{"email":{"$gt":""},"password":"password1","displayName":"Z"}`, 400, "validation_failed"},
		{"operator injection in invite", "POST", "/api/v1/workspaces/" + wid + "/members", `{"email":{"$regex":".*"},"role":"MEMBER"}`, 400, "validation_failed"},
		{"operator injection in role", "PATCH", "/api/v1/workspaces/" + wid + "/members/" + ann.id, `{"role":{"$ne":"OWNER"}}`, 400, "validation_failed"},
		{"oversized body", "POST", "/api/v1/auth/register", `{"email":"z@example.com","password":"password1","displayName":"` + strings.Repeat("z", 5000) + `"}`, 413, "body_too_large"},
		{"short password", "POST", "/api/v1/auth/register", `{"email":"z@example.com","password":"short","displayName":"Z"}`, 400, "validation_failed"},
		{"bad email", "POST", "/api/v1/auth/register", `{"email":"z-at-example","password":"password1","displayName":"Z"}`, 400, "validation_failed"},
		{"invalid workspace id", "GET", "/api/v1/workspaces/not-an-id", ``, 400, "invalid_id"},
		{"injection in path id", "GET", "/api/v1/workspaces/%7B%22%24ne%22%3A1%7D", ``, 400, "invalid_id"},
		{"invalid member id", "DELETE", "/api/v1/workspaces/" + wid + "/members/xyz", ``, 400, "invalid_id"},
		{"bad role", "POST", "/api/v1/workspaces/" + wid + "/members", `{"email":"q@example.com","role":"GOD"}`, 400, "validation_failed"},
		{"blank name", "POST", "/api/v1/workspaces", `{"name":"   "}`, 400, "validation_failed"},
		{"empty patch", "PATCH", "/api/v1/workspaces/" + wid, `{}`, 400, "nothing_to_update"},
		{"unknown route", "GET", "/api/v1/nope", ``, 404, "route_not_found"},
		{"wrong method", "PUT", "/api/v1/workspaces/" + wid, `{}`, 405, "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" || tc.method == "POST" {
				body = tc.body
			}
			r := s.call(tc.method, tc.path, ann.token, body).want(t, tc.status, tc.code)
			if tc.code == "validation_failed" && len(r.body["errors"].([]any)) == 0 {
				t.Fatalf("no field errors: %s", r.raw)
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		s.call("POST", "/api/v1/workspaces", ann.token, `{"name":"x"}`, "Content-Type", "text/plain").want(t, 415, "unsupported_media_type")
	})

	// Nothing above changed state: no user "z", one workspace, named Team, Ann still owner.
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "z@example.com", "password": "password1"}).want(t, 401, "invalid_credentials")
	mine := s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200).items()
	if len(mine) != 1 || mine[0]["name"] != "Team" || mine[0]["role"] != "OWNER" {
		t.Fatalf("state changed: %v", mine)
	}
	members := s.call("GET", "/api/v1/workspaces/"+wid+"/members", ann.token, nil).want(t, 200).items()
	if len(members) != 1 {
		t.Fatalf("members changed: %v", members)
	}
}

func TestTokensAreChecked(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	parts := strings.Split(ann.token, ".")
	noneHeader := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" // {"alg":"none","typ":"JWT"}
	for name, header := range map[string]string{
		"missing":        "",
		"not bearer":     "Basic " + ann.token,
		"garbage":        "Bearer abc.def.ghi",
		"alg none":       "Bearer " + noneHeader + "." + parts[1] + ".",
		"bad signature":  "Bearer " + parts[0] + "." + parts[1] + ".AAAA" + parts[2][4:],
		"empty bearer":   "Bearer ",
		"other secret":   "Bearer " + otherServerToken(t),
		"lowercase none": "Bearer eyJhbGciOiJOT05FIn0." + parts[1] + ".",
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.base+"/api/v1/me", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// otherServerToken returns a token signed by a server with another secret.
func otherServerToken(t *testing.T) string {
	s := startServer(t, map[string]string{"JWT_SECRET": strings.Repeat("x", 40)})
	return s.register(t, "other@example.com").token
}

func TestExpiredTokenRejected(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_TOKEN_TTL": "90s"})
	ann := s.register(t, "ann@example.com")
	exp, err := time.Parse(time.RFC3339, s.call("POST", "/api/v1/auth/refresh", ann.token, nil).want(t, 200).str("expiresAt"))
	if err != nil || time.Until(exp) > 91*time.Second {
		t.Fatalf("expiresAt %v, %v: WSO_TOKEN_TTL not applied", exp, err)
	}
	// A token signed with the server's own secret, issuer and audience, expired beyond the leeway.
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": ann.id, "iss": "workspaceops", "aud": "workspaceops-api",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix(),
	}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	s.call("GET", "/api/v1/me", expired, nil).want(t, 401, "invalid_token")
}

func TestLoginThrottled(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_LOGIN_MAX_FAILURES": "3"})
	s.register(t, "ann@example.com")
	for range 3 {
		s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "wrong-password"}).want(t, 401, "invalid_credentials")
	}
	r := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "correct-horse"}).want(t, 429, "too_many_attempts")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Unknown emails fail the same way as wrong passwords.
	unknown := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "whatever-pw"}).want(t, 401)
	if unknown.str("detail") != "email or password is incorrect" {
		t.Fatalf("unknown email answer %s", unknown.raw)
	}
}

func TestCORS(t *testing.T) {
	s := startServer(t, nil)
	pre := s.call("OPTIONS", "/api/v1/workspaces", "", nil,
		"Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
	if pre.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("credentials allowed")
	}
	s.call("OPTIONS", "/api/v1/workspaces", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST").want(t, 403, "origin_not_allowed")
	r := s.call("GET", "/healthz", "", nil, "Origin", "http://localhost:3000").want(t, 200)
	if r.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || r.header.Get("X-Request-Id") == "" {
		t.Fatalf("simple request headers %v", r.header)
	}
	s.call("GET", "/healthz", "", nil, "Origin", "https://evil.example").want(t, 403, "origin_not_allowed")
	// A page served by the server itself needs no configuration: its own origin is accepted.
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "x@example.com", "password": "wrong-password"}, "Origin", s.base).want(t, 401)
	port := s.base[strings.LastIndex(s.base, ":"):]
	s.call("GET", "/healthz", "", nil, "Origin", "http://127.0.0.2"+port).want(t, 403, "origin_not_allowed")
}

func TestReadyAndRequestID(t *testing.T) {
	s := startServer(t, nil)
	if r := s.call("GET", "/readyz", "", nil).want(t, 200); !strings.Contains(r.raw, `"realtime":"ready"`) {
		t.Fatalf("readyz %s", r.raw)
	}
	s.call("GET", "/readyz/realtime", "", nil).want(t, 200)
	// The container health check: the healthcheck command asks /readyz of WSO_ADDR.
	env := map[string]string{"WSO_ADDR": "0.0.0.0:" + s.base[strings.LastIndex(s.base, ":")+1:]}
	var out syncBuffer
	if code := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, &out); code != 0 {
		t.Fatalf("healthcheck of a ready server: exit %d\n%s", code, out.String())
	}
	env["WSO_ADDR"] = freeAddr(t) // nothing listens there
	if code := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, &out); code != 1 {
		t.Fatalf("healthcheck of no server: exit %d, want 1", code)
	}
	r := s.call("GET", "/api/v1/nope", "", nil, "X-Request-Id", "trace-123").want(t, 404)
	if r.header.Get("X-Request-Id") != "trace-123" || r.str("requestId") != "trace-123" {
		t.Fatalf("request id not echoed: %v %s", r.header, r.raw)
	}
}

func TestConfigErrorsExitWithUsage(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), nil, func(k string) string {
		return map[string]string{"MONGO_URI": "mongodb://127.0.0.1:1"}[k]
	}, &out)
	if code != 2 || !strings.Contains(out.String(), "JWT_SECRET") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	out.Reset()
	if code := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &out); code != 0 ||
		!strings.Contains(out.String(), "copy --to") || !strings.Contains(out.String(), "migrate") {
		t.Fatalf("-h: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), nil, func(k string) string { return map[string]string{"WSO_LOG_LEVEL": "verbose"}[k] }, &out); code != 2 ||
		!strings.Contains(out.String(), "invalid configuration") || !strings.Contains(out.String(), "WSO_LOG_LEVEL") {
		t.Fatalf("bad log level: exit %d, %q", code, out.String())
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	env := withStore(t, map[string]string{"JWT_SECRET": testSecret})
	for i := range 2 {
		var out bytes.Buffer
		if code := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out); code != 0 {
			t.Fatalf("migrate run %d exit %d: %s", i, code, out.String())
		}
	}
}

// A body of null is malformed like [] or 42, not an empty object: login answers 400 and counts
// no failed attempt (the account is not locked by it), and keys must match exactly.
func TestNullBodyIsMalformed(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_LOGIN_MAX_FAILURES": "2"})
	ann := s.register(t, "ann@example.com")
	for range 3 {
		s.call("POST", "/api/v1/auth/login", "", "null").want(t, 400, "malformed_json")
	}
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "correct-horse"}).want(t, 200)
	s.call("POST", "/api/v1/workspaces", ann.token, "null").want(t, 400, "malformed_json")
	s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"NAME": "Launch"}).want(t, 400, "validation_failed")
	if n := len(s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200).items()); n != 0 {
		t.Fatalf("refused bodies created %d workspaces", n)
	}
}

// HEAD works wherever GET does: the same status and headers, no body.
func TestHeadWhereGetWorks(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	for path, token := range map[string]string{"/healthz": "", "/openapi.yaml": "", "/api/v1/workspaces": ann.token, "/api/v1/me": ""} {
		req, _ := http.NewRequest(http.MethodHead, s.base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		get, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
		get.Header = req.Header
		gresp, err := http.DefaultClient.Do(get)
		if err != nil {
			t.Fatal(err)
		}
		gresp.Body.Close()
		if resp.StatusCode != gresp.StatusCode || len(body) != 0 || resp.Header.Get("Content-Type") != gresp.Header.Get("Content-Type") {
			t.Fatalf("HEAD %s: %d %q (%d body bytes); GET: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body),
				gresp.StatusCode, gresp.Header.Get("Content-Type"))
		}
	}
}
