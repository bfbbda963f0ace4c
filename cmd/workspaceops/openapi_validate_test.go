package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/workspaceops/workspaceops/api"
)

// contract is the published OpenAPI document (api.OpenAPI, the bytes the server serves), loaded
// with kin-openapi. Every answer the e2e `call` helper receives is checked against it: the
// operation must document the status, and the headers and body must match what it documents.
type contract struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.Schema
}

// minContractPaths guards against a document that loads but says nothing (a truncated file):
// the API has well over this many paths.
const minContractPaths = 10

var (
	contractOnce   sync.Once
	loadedContract *contract
	contractErr    error
	// contractMu serialises checks: kin-openapi does not promise that validating against one
	// document from several goroutines at once is safe, and e2e tests call concurrently.
	contractMu sync.Mutex
)

// theContract loads the contract once per test binary. A document that does not load, does not
// validate or cannot be routed is an error for every caller: response validation is never
// silently skipped.
func theContract() (*contract, error) {
	contractOnce.Do(func() { loadedContract, contractErr = newContract(api.OpenAPI) })
	return loadedContract, contractErr
}

func newContract(spec []byte) (*contract, error) {
	loader := openapi3.NewLoader() // external $refs stay disallowed: the document is self-contained
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		// openapi3filter validates 3.1 documents with its JSON Schema 2020-12 validator (type
		// arrays, const, if/then/else); a 3.0 document would be checked with other rules.
		return nil, fmt.Errorf("api/openapi.yaml declares openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	if n := doc.Paths.Len(); n < minContractPaths {
		return nil, fmt.Errorf("api/openapi.yaml has %d paths, want at least %d: is it truncated?", n, minContractPaths)
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value == nil {
		return nil, errors.New("api/openapi.yaml has no components.schemas.Problem")
	}
	// The documented server is the default local address; e2e servers listen on free ports, so
	// operations are matched by method and path alone.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route api/openapi.yaml: %w", err)
	}
	return &contract{doc: doc, router: router, problem: problem.Value}, nil
}

// schemaOptions are the options openapi3filter uses for a 3.1 document's response bodies.
var schemaOptions = []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse(), openapi3.MultiErrors()}

// check returns why the answer (status, header, body) to req breaks the contract, or nil. req is
// only used for its method, URL and headers; its body is not read.
func (c *contract) check(req *http.Request, status int, header http.Header, body []byte) error {
	if isPreflight(req) {
		return c.checkPreflight(req, status, header, body)
	}
	route, params, err := c.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		// "A path no route matches answers 404 route_not_found."
		return c.checkGlobalProblem(req, status, header, body, http.StatusNotFound, "route_not_found")
	case errors.Is(err, routers.ErrMethodNotAllowed):
		// "A known path with another method answers 405 method_not_allowed."
		return c.checkGlobalProblem(req, status, header, body, http.StatusMethodNotAllowed, "method_not_allowed")
	case err != nil:
		return fmt.Errorf("no operation for %s %s: %w", req.Method, req.URL.Path, err)
	}
	op := fmt.Sprintf("%s %s", req.Method, route.Path)
	documented := route.Operation.Responses.Status(status)
	if documented == nil || documented.Value == nil {
		// openapi3filter would fall back on a `default` answer, and lets 304 through unchecked.
		return fmt.Errorf("%s: status %d is not documented", op, status)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %d: %w", op, status, err)
	}
	// ValidateResponse only reads a body the operation documents content for.
	switch {
	case len(documented.Value.Content) == 0 && len(body) > 0:
		return fmt.Errorf("%s %d: documented without a body, answered %d bytes", op, status, len(body))
	case len(documented.Value.Content) > 0 && len(body) == 0 && status != http.StatusNotModified:
		return fmt.Errorf("%s %d: documented with a body, answered none", op, status)
	}
	return checkProblemConsistency(status, header, body)
}

// checkGlobalProblem checks an answer that no operation documents but the conventions of the
// document's description do: the 404 and 405 of the router, and `403 origin_not_allowed`,
// which any request carrying an Origin may get.
func (c *contract) checkGlobalProblem(req *http.Request, status int, header http.Header, body []byte, wantStatus int, wantCode string) error {
	if status == http.StatusForbidden && req.Header.Get("Origin") != "" {
		wantStatus, wantCode = http.StatusForbidden, "origin_not_allowed"
	}
	if status != wantStatus {
		return fmt.Errorf("%s %s matches no documented operation: status %d, want %d %s", req.Method, req.URL.Path, status, wantStatus, wantCode)
	}
	p, err := c.problemBody(header, body)
	if err != nil {
		return fmt.Errorf("%s %s %d: %w", req.Method, req.URL.Path, status, err)
	}
	if p["code"] != wantCode {
		return fmt.Errorf("%s %s %d: code %v, want %s", req.Method, req.URL.Path, status, p["code"], wantCode)
	}
	return checkProblemConsistency(status, header, body)
}

// problemBody decodes a problem document and checks it against components.schemas.Problem and
// the headers every problem carries.
func (c *contract) problemBody(header http.Header, body []byte) (map[string]any, error) {
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/problem+json" {
		return nil, fmt.Errorf("Content-Type %q, want application/problem+json", header.Get("Content-Type"))
	}
	if cc := header.Get("Cache-Control"); cc != "no-store" {
		return nil, fmt.Errorf("Cache-Control %q, want no-store", cc)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("problem body is not JSON: %w", err)
	}
	if err := c.problem.VisitJSON(v, schemaOptions...); err != nil {
		return nil, fmt.Errorf("problem body does not match #/components/schemas/Problem: %w", err)
	}
	p, _ := v.(map[string]any)
	return p, nil
}

// checkProblemConsistency checks what the Problem schema cannot: a problem's status is the
// answer's and its type is derived from its code.
func checkProblemConsistency(status int, header http.Header, body []byte) error {
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/problem+json" {
		return nil // which answers are problems is the operation's to say, and was checked
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	if p.Status != status {
		return fmt.Errorf("problem status %d in a %d answer", p.Status, status)
	}
	if p.Type != "urn:workspaceops:problem:"+p.Code {
		return fmt.Errorf("problem type %q does not name its code %q", p.Type, p.Code)
	}
	return nil
}

func isPreflight(req *http.Request) bool {
	return req.Method == http.MethodOptions && req.Header.Get("Origin") != "" && req.Header.Get("Access-Control-Request-Method") != ""
}

// checkPreflight checks a CORS preflight against the document's CORS conventions: an allowed
// origin gets 204 with the allowed methods, headers and max age; any other `403
// origin_not_allowed`.
func (c *contract) checkPreflight(req *http.Request, status int, header http.Header, body []byte) error {
	origin := req.Header.Get("Origin")
	switch status {
	case http.StatusNoContent:
		want := map[string]string{
			"Access-Control-Allow-Origin":   origin,
			"Access-Control-Allow-Methods":  "GET, POST, PUT, PATCH, DELETE, OPTIONS",
			"Access-Control-Allow-Headers":  "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Api-Key, X-Request-Id, traceparent",
			"Access-Control-Expose-Headers": "ETag, Idempotent-Replayed, Location, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id, traceparent",
			"Access-Control-Max-Age":        "600",
		}
		for k, v := range want {
			if got := header.Get(k); got != v {
				return fmt.Errorf("preflight %s: %s %q, want %q", req.URL.Path, k, got, v)
			}
		}
		if header.Get("Access-Control-Allow-Credentials") != "" {
			return fmt.Errorf("preflight %s allows credentials", req.URL.Path)
		}
		if len(body) > 0 {
			return fmt.Errorf("preflight %s: 204 with a %d-byte body", req.URL.Path, len(body))
		}
		return nil
	case http.StatusForbidden:
		p, err := c.problemBody(header, body)
		if err != nil {
			return fmt.Errorf("preflight %s: %w", req.URL.Path, err)
		}
		if p["code"] != "origin_not_allowed" {
			return fmt.Errorf("preflight %s: code %v, want origin_not_allowed", req.URL.Path, p["code"])
		}
		return checkProblemConsistency(status, header, body)
	}
	return fmt.Errorf("preflight %s: status %d, want 204 or 403 origin_not_allowed", req.URL.Path, status)
}

// checkContract fails t unless the answer keeps the contract.
func checkContract(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	c, err := theContract()
	if err != nil {
		t.Fatalf("OpenAPI contract: %v", err)
	}
	contractMu.Lock()
	err = c.check(req, status, header, body)
	contractMu.Unlock()
	if err != nil {
		t.Errorf("answer breaks the OpenAPI contract: %s %s -> %d: %v\nbody: %s", req.Method, truncate([]byte(req.URL.RequestURI()), 200), status, err, truncate(body, 2000))
	}
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// TestContractLoads fails when the published document cannot be used for validation at all, so
// a broken document is reported once, by name, and not only through every e2e test.
func TestContractLoads(t *testing.T) {
	c, err := theContract()
	if err != nil {
		t.Fatal(err)
	}
	// The checker itself must refuse what the contract does not allow.
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/healthz", nil)
	ok := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {"abc"}}
	if err := c.check(req, http.StatusOK, ok, []byte(`{"status":"ok"}`)); err != nil {
		t.Fatalf("a conforming answer was refused: %v", err)
	}
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"undocumented status": {http.StatusTeapot, `{"status":"ok"}`},
		"wrong body":          {http.StatusOK, `{"status":"fine"}`},
		"extra field":         {http.StatusOK, `{"status":"ok","x":1}`},
		"undocumented 304":    {http.StatusNotModified, ``},
	} {
		if err := c.check(req, tc.status, ok, []byte(tc.body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A member row is an active member or a pending invitation, never a mix.
	members, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/api/v1/workspaces/0123456789abcdef01234567/members", nil)
	jsonHeader := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"abc"}}
	const (
		active  = `{"userId":"0123456789abcdef01234567","email":"a@example.com","displayName":"A","role":"MEMBER","status":"ACTIVE","joinedAt":"2026-01-01T00:00:00Z"}`
		invited = `{"invitationId":"0123456789abcdef01234567","email":"b@example.com","role":"MEMBER","status":"INVITED","expiresAt":"2026-01-08T00:00:00Z"}`
	)
	if err := c.check(members, http.StatusOK, jsonHeader, []byte(`{"items":[`+active+`,`+invited+`]}`)); err != nil {
		t.Fatalf("a conforming member list was refused: %v", err)
	}
	for name, row := range map[string]string{
		"active with expiresAt":   strings.Replace(active, `"status"`, `"expiresAt":"2026-01-08T00:00:00Z","status"`, 1),
		"active without joinedAt": strings.Replace(active, `,"joinedAt":"2026-01-01T00:00:00Z"`, ``, 1),
		"invited with userId":     strings.Replace(invited, `"email"`, `"userId":"0123456789abcdef01234567","email"`, 1),
		"invited with a name":     strings.Replace(invited, `"role"`, `"displayName":"B","role"`, 1),
	} {
		if err := c.check(members, http.StatusOK, jsonHeader, []byte(`{"items":[`+row+`]}`)); err == nil {
			t.Errorf("a member row %s was accepted", name)
		}
	}
	unknown, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/api/v1/nope", nil)
	if err := c.check(unknown, http.StatusOK, ok, []byte(`{"status":"ok"}`)); err == nil {
		t.Error("a 200 for an undocumented path was accepted")
	}
	if !strings.HasPrefix(c.doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q", c.doc.OpenAPI)
	}
}

// multipartBody builds an upload: the fields in order, then (unless fileName is "-") one file part.
func multipartBody(t *testing.T, fileName string, content []byte, fields ...string) (body, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if fileName != "-" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, fileName))
		h.Set("Content-Type", "application/octet-stream")
		p, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Write(content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

// TestContractNewRoutes drives every work item, document and overview operation, and the
// published document itself, through `call`, so each documented answer is checked against the
// contract at least once: successes, conditional and range downloads, and the errors.
func TestContractNewRoutes(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_MAX_UPLOAD_BYTES": "1024"})
	ann := s.register(t, "ann@example.com")
	mel := s.register(t, "mel@example.com")
	vic := s.register(t, "vic@example.com")
	out := s.register(t, "out@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Contract"}).want(t, 201).str("id")
	base := "/api/v1/workspaces/" + wid
	s.call("POST", base+"/members", ann.token, map[string]string{"email": mel.email, "role": "MEMBER"}).want(t, 201)
	s.call("POST", base+"/members", ann.token, map[string]string{"email": vic.email, "role": "VIEWER"}).want(t, 201)
	const missing = "0123456789abcdef01234567"

	// The published document, without a token.
	if spec := s.call("GET", "/openapi.yaml", "", nil).want(t, 200); spec.raw != string(api.OpenAPI) {
		t.Fatal("GET /openapi.yaml is not api/openapi.yaml")
	}

	// Work items.
	items := base + "/work-items"
	created := s.call("POST", items, mel.token, map[string]any{
		"title": "  Ship the beta ", "description": "all of it", "priority": "HIGH", "assigneeId": mel.id,
		"dueDate": "2020-01-01T00:00:00Z", "tags": []string{"Beta", "beta", "web"},
	}).want(t, 201)
	id := created.str("id")
	if created.header.Get("ETag") != `"1"` || created.header.Get("Location") != items+"/"+id {
		t.Fatalf("create headers %v", created.header)
	}
	s.call("POST", items, mel.token, map[string]any{"title": "Plain", "assigneeId": nil, "dueDate": nil, "tags": nil}).want(t, 201)
	s.call("POST", items, vic.token, map[string]any{"title": "No"}).want(t, 403, "forbidden")
	s.call("POST", items, out.token, map[string]any{"title": "No"}).want(t, 404, "workspace_not_found")
	s.call("POST", items, mel.token, map[string]any{"title": " ", "priority": "SOON"}).want(t, 400, "validation_failed")
	s.call("POST", items, mel.token, map[string]any{"title": "x", "assigneeId": out.id}).want(t, 400, "validation_failed")
	s.call("POST", items, mel.token, `{"title":`).want(t, 400, "malformed_json")
	s.call("POST", items, mel.token, ``).want(t, 400, "empty_body")
	s.call("POST", items, mel.token, `{"title":"x"}`, "Content-Type", "text/plain").want(t, 415, "unsupported_media_type")
	s.call("POST", items, mel.token, `{"title":"`+strings.Repeat("x", 2<<20)+`"}`).want(t, 413, "body_too_large")
	s.call("POST", items, "", map[string]any{"title": "x"}).want(t, 401, "missing_token")

	page1 := s.call("GET", items+"?status=DRAFT,ACTIVE&status=COMPLETED&sort=-priority&limit=1", vic.token, nil).want(t, 200)
	if len(page1.items()) != 1 || page1.str("nextCursor") == "" {
		t.Fatalf("page 1: %s", page1.raw)
	}
	s.call("GET", items+"?sort=-priority&limit=1&cursor="+page1.str("nextCursor"), vic.token, nil).want(t, 200)
	s.call("GET", items+"?sort=dueDate&limit=1&cursor="+page1.str("nextCursor"), vic.token, nil).want(t, 400, "invalid_cursor")
	s.call("GET", items+"?tag=BETA&assigneeId="+mel.id+"&q=ship&dueBefore=2021-01-01T00:00:00Z&dueAfter=2019-01-01T00:00:00Z", vic.token, nil).want(t, 200)
	s.call("GET", items+"?status=DONE&dueBefore=tomorrow", vic.token, nil).want(t, 400, "validation_failed")
	s.call("GET", items+"?sort=title", vic.token, nil).want(t, 400, "validation_failed")
	s.call("GET", items+"?limit=0", vic.token, nil).want(t, 400, "invalid_limit")
	s.call("GET", items, out.token, nil).want(t, 404, "workspace_not_found")

	item := items + "/" + id
	got := s.call("GET", item, vic.token, nil).want(t, 200)
	if got.header.Get("ETag") != `"1"` {
		t.Fatalf("ETag %q", got.header.Get("ETag"))
	}
	s.call("GET", items+"/"+missing, vic.token, nil).want(t, 404, "work_item_not_found")
	s.call("GET", items+"/nope", vic.token, nil).want(t, 400, "invalid_id")

	patched := s.call("PATCH", item, mel.token, map[string]any{"assigneeId": nil, "dueDate": nil, "title": "Ship it"}, "If-Match", `"1"`).want(t, 200)
	if patched.header.Get("ETag") != `"2"` || patched.body["assigneeId"] != nil || patched.body["dueDate"] != nil {
		t.Fatalf("patched %v %s", patched.header, patched.raw)
	}
	s.call("PATCH", item, mel.token, map[string]any{"title": "Stale"}, "If-Match", `"1"`).want(t, 409, "version_conflict")
	s.call("PATCH", item, mel.token, map[string]any{"title": "Bad"}, "If-Match", `3`).want(t, 400, "invalid_if_match")
	s.call("PATCH", item, mel.token, map[string]any{"title": "Weak"}, "If-Match", `W/"2"`).want(t, 400, "invalid_if_match")
	s.call("PATCH", item, mel.token, map[string]any{"priority": "LOW"}).want(t, 200) // no If-Match: last write wins
	s.call("PATCH", item, mel.token, map[string]any{}).want(t, 400, "nothing_to_update")
	s.call("PATCH", item, mel.token, map[string]any{"tags": []string{"has space"}}).want(t, 400, "validation_failed")
	s.call("PATCH", item, vic.token, map[string]any{"title": "x"}).want(t, 403, "forbidden")
	s.call("PATCH", items+"/"+missing, mel.token, map[string]any{"title": "x"}).want(t, 404, "work_item_not_found")

	s.call("PATCH", item+"/status", mel.token, map[string]string{"status": "ACTIVE"}).want(t, 200)
	s.call("PATCH", item+"/status", mel.token, map[string]string{"status": "ACTIVE"}).want(t, 409, "invalid_transition")
	s.call("PATCH", item+"/status", mel.token, map[string]string{"status": "DONE"}).want(t, 400, "validation_failed")
	s.call("PATCH", item+"/status", vic.token, map[string]string{"status": "DRAFT"}).want(t, 403, "forbidden")
	s.call("PATCH", items+"/"+missing+"/status", mel.token, map[string]string{"status": "DRAFT"}).want(t, 404, "work_item_not_found")

	// Documents.
	docs := base + "/documents"
	body, ct := multipartBody(t, "../report v1.txt", []byte("hello, contract"), "title", "Report", "expiresAt", time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))
	up := s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 201)
	docID := up.str("id")
	if up.header.Get("ETag") != `"1"` || up.header.Get("Location") != docs+"/"+docID || up.str("expiryStatus") != "EXPIRING_SOON" {
		t.Fatalf("upload %v %s", up.header, up.raw)
	}
	body, ct = multipartBody(t, "plain.bin", []byte{0x25, 0x50, 0x44, 0x46, 0x2d, 0x31})
	s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 201)
	s.call("POST", docs, vic.token, body, "Content-Type", ct).want(t, 403, "forbidden")
	s.call("POST", docs, out.token, body, "Content-Type", ct).want(t, 404, "workspace_not_found")
	s.call("POST", docs, mel.token, map[string]string{"title": "json"}).want(t, 415, "unsupported_media_type")
	s.call("POST", docs, mel.token, "--x\r\nbroken", "Content-Type", "multipart/form-data; boundary=x").want(t, 400, "malformed_multipart")
	body, ct = multipartBody(t, "-", nil, "title", "no file")
	s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 400, "validation_failed")
	body, ct = multipartBody(t, "empty.txt", nil)
	s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 400, "validation_failed")
	body, ct = multipartBody(t, "x.txt", []byte("x"), "expiresAt", "2001-01-01T00:00:00Z", "color", "red")
	s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 400, "validation_failed")
	body, ct = multipartBody(t, "big.txt", bytes.Repeat([]byte("x"), 2048))
	s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 413, "file_too_large")
	body, ct = multipartBody(t, "huge.txt", bytes.Repeat([]byte("x"), 200<<10))
	s.call("POST", docs, mel.token, body, "Content-Type", ct).want(t, 413, "file_too_large")

	list := s.call("GET", docs+"?expiryStatus=VALID,EXPIRING_SOON&expiryStatus=EXPIRED&q=report&limit=1", vic.token, nil).want(t, 200)
	if len(list.items()) != 1 {
		t.Fatalf("documents %s", list.raw)
	}
	pageA := s.call("GET", docs+"?limit=1", vic.token, nil).want(t, 200)
	s.call("GET", docs+"?limit=1&cursor="+pageA.str("nextCursor"), vic.token, nil).want(t, 200)
	s.call("GET", docs+"?expiryStatus=SOON", vic.token, nil).want(t, 400, "validation_failed")
	s.call("GET", docs+"?cursor=%24%24", vic.token, nil).want(t, 400, "invalid_cursor")
	s.call("GET", docs+"?limit=999", vic.token, nil).want(t, 400, "invalid_limit")

	doc := docs + "/" + docID
	meta := s.call("GET", doc, vic.token, nil).want(t, 200)
	s.call("GET", docs+"/"+missing, vic.token, nil).want(t, 404, "document_not_found")

	content := doc + "/content"
	whole := s.call("GET", content, vic.token, nil).want(t, 200)
	if whole.raw != "hello, contract" || whole.header.Get("ETag") != `"`+meta.str("sha256")+`"` {
		t.Fatalf("download %v %q", whole.header, whole.raw)
	}
	if part := s.call("GET", content, vic.token, nil, "Range", "bytes=0-4").want(t, 206); part.raw != "hello" {
		t.Fatalf("range %q", part.raw)
	}
	s.call("GET", content, vic.token, nil, "Range", "bytes=0-1,3-4").want(t, 206)
	if r := s.call("GET", content, vic.token, nil, "If-None-Match", whole.header.Get("ETag")); r.status != 304 || r.raw != "" {
		t.Fatalf("If-None-Match: status %d %q, want an empty 304", r.status, r.raw)
	}
	if r := s.call("GET", content, vic.token, nil, "Range", "bytes=500-").want(t, 416, "range_not_satisfiable"); !strings.HasPrefix(r.header.Get("Content-Range"), "bytes */") {
		t.Fatalf("416 without the size: %v", r.header)
	}
	if r := s.call("GET", content, vic.token, nil, "If-Match", `"not-it"`).want(t, 412, "precondition_failed"); r.header.Get("ETag") != whole.header.Get("ETag") {
		t.Fatalf("412 without the content's ETag: %v", r.header)
	}
	s.call("GET", docs+"/"+missing+"/content", vic.token, nil).want(t, 404, "document_not_found")

	upd := s.call("PATCH", doc, mel.token, map[string]any{"title": "Final report", "expiresAt": nil}, "If-Match", `"1"`).want(t, 200)
	if upd.header.Get("ETag") != `"2"` || upd.body["expiresAt"] != nil || upd.str("expiryStatus") != "VALID" {
		t.Fatalf("update %v %s", upd.header, upd.raw)
	}
	s.call("PATCH", doc, mel.token, map[string]any{"title": "Stale"}, "If-Match", `"1"`).want(t, 409, "version_conflict")
	s.call("PATCH", doc, mel.token, map[string]any{"title": "x"}, "If-Match", `"1", "2"`).want(t, 400, "invalid_if_match")
	s.call("PATCH", doc, mel.token, map[string]any{"title": nil}).want(t, 400, "nothing_to_update")
	s.call("PATCH", doc, mel.token, map[string]any{"expiresAt": "2001-01-01T00:00:00Z"}).want(t, 400, "validation_failed")
	s.call("PATCH", doc, vic.token, map[string]any{"title": "x"}).want(t, 403, "forbidden")
	s.call("PATCH", docs+"/"+missing, mel.token, map[string]any{"title": "x"}).want(t, 404, "document_not_found")

	// Links.
	linked := s.call("PUT", item+"/documents/"+docID, mel.token, nil).want(t, 200)
	if ids, _ := linked.body["documentIds"].([]any); len(ids) != 1 || ids[0] != docID {
		t.Fatalf("link %s", linked.raw)
	}
	s.call("PUT", item+"/documents/"+docID, mel.token, nil).want(t, 200)
	s.call("PUT", item+"/documents/"+missing, mel.token, nil).want(t, 404, "document_not_found")
	s.call("PUT", items+"/"+missing+"/documents/"+docID, mel.token, nil).want(t, 404, "work_item_not_found")
	s.call("PUT", item+"/documents/"+docID, vic.token, nil).want(t, 403, "forbidden")
	s.call("PUT", item+"/documents/x", mel.token, nil).want(t, 400, "invalid_id")
	s.call("DELETE", item+"/documents/"+docID, mel.token, nil).want(t, 200)
	s.call("DELETE", item+"/documents/"+missing, mel.token, nil).want(t, 200)
	s.call("PUT", item+"/documents/"+docID, mel.token, nil).want(t, 200)

	// Overview.
	ov := s.call("GET", base+"/overview", vic.token, nil).want(t, 200)
	if ov.body["members"] != float64(3) {
		t.Fatalf("overview %s", ov.raw)
	}
	s.call("GET", base+"/overview", out.token, nil).want(t, 404, "workspace_not_found")
	s.call("GET", "/api/v1/workspaces/nope/overview", vic.token, nil).want(t, 400, "invalid_id")

	// Deletions.
	s.call("DELETE", doc, mel.token, nil).want(t, 403, "forbidden")
	s.call("DELETE", doc, ann.token, nil).want(t, 204)
	s.call("DELETE", doc, ann.token, nil).want(t, 404, "document_not_found")
	if ids, _ := s.call("GET", item, vic.token, nil).want(t, 200).body["documentIds"].([]any); len(ids) != 0 {
		t.Fatalf("deleted document still linked: %v", ids)
	}
	s.call("DELETE", item, vic.token, nil).want(t, 403, "forbidden")
	s.call("DELETE", item, mel.token, nil).want(t, 204)
	s.call("DELETE", item, mel.token, nil).want(t, 404, "work_item_not_found")

	// The router's own answers.
	s.call("PUT", items, mel.token, nil).want(t, 405, "method_not_allowed")
	s.call("GET", base+"/work-items/"+id+"/nope", mel.token, nil).want(t, 404, "route_not_found")
}
