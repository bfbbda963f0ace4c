package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/page"
)

// specPath is the OpenAPI document, relative to this package's directory (go test's cwd).
var specPath = filepath.Join("..", "..", "api", "openapi.yaml")

// minRoutes guards against a scanner or router that silently finds nothing: both sides have
// well over this many routes, so finding fewer means the comparison is not looking.
const minRoutes = 10

// specOperation is one operation of the spec's paths section.
type specOperation struct {
	method string // upper case
	path   string // gin style: /workspaces/:wid
	public bool   // the operation declares `security: []`
	line   int
}

func (o specOperation) key() string { return o.method + " " + o.path }

var (
	specMethods = []string{"get", "put", "post", "patch", "delete"}
	// specParam matches an OpenAPI path template parameter such as {wid}.
	specParam = regexp.MustCompile(`\{([^/{}]+)\}`)
)

// scanSpecOperations collects the operations of an OpenAPI document's `paths:` section without
// a YAML library: path keys are the lines indented by exactly two spaces that start with "/",
// operations the lines indented by exactly four spaces whose key is an HTTP method, and an
// operation is public when it has a `security: []` line indented by exactly six spaces.
// The section ends at the next top-level key.
func scanSpecOperations(r io.Reader) ([]specOperation, error) {
	var (
		ops     []specOperation
		inPaths bool
		path    string
		current = -1 // index in ops of the operation being read, -1 between operations
		lineNo  int
	)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), " \r")
		content := strings.TrimLeft(line, " ")
		if content == "" || strings.HasPrefix(content, "#") {
			continue
		}
		if strings.HasPrefix(content, "\t") {
			return nil, fmt.Errorf("line %d: tab indentation", lineNo)
		}
		indent := len(line) - len(content)
		if indent == 0 {
			inPaths = content == "paths:"
			path, current = "", -1
			continue
		}
		if !inPaths {
			continue
		}
		switch indent {
		case 2:
			current = -1
			key, ok := strings.CutSuffix(content, ":")
			key = strings.Trim(key, `'"`)
			if !ok || !strings.HasPrefix(key, "/") {
				return nil, fmt.Errorf("line %d: %q is not a path key", lineNo, content)
			}
			path = specParam.ReplaceAllString(key, ":$1")
		case 4:
			current = -1
			key, _, _ := strings.Cut(content, ":")
			if !slices.Contains(specMethods, key) {
				continue // parameters, summary, ...
			}
			if path == "" {
				return nil, fmt.Errorf("line %d: operation %q outside any path", lineNo, key)
			}
			ops = append(ops, specOperation{method: strings.ToUpper(key), path: path, line: lineNo})
			current = len(ops) - 1
		case 6:
			if current >= 0 && strings.ReplaceAll(content, " ", "") == "security:[]" {
				ops[current].public = true
			}
		}
	}
	return ops, sc.Err()
}

func readSpecOperations(t *testing.T) []specOperation {
	t.Helper()
	f, err := os.Open(specPath)
	if err != nil {
		t.Fatalf("open the OpenAPI document: %v", err)
	}
	defer f.Close()
	ops, err := scanSpecOperations(f)
	if err != nil {
		t.Fatalf("%s: %v", specPath, err)
	}
	return ops
}

// TestOpenAPIMatchesRouter fails when a route is served but not documented, or documented but
// not served.
func TestOpenAPIMatchesRouter(t *testing.T) {
	spec := map[string]specOperation{}
	for _, op := range readSpecOperations(t) {
		if prev, dup := spec[op.key()]; dup {
			t.Errorf("%s: %s is documented twice (lines %d and %d)", specPath, op.key(), prev.line, op.line)
		}
		spec[op.key()] = op
	}
	served := map[string]bool{}
	for _, r := range newTestRouter(t).Routes() {
		served[r.Method+" "+r.Path] = true
	}
	if len(spec) < minRoutes || len(served) < minRoutes {
		t.Fatalf("found %d documented and %d served routes, want at least %d of each: is the scanner or the router broken?",
			len(spec), len(served), minRoutes)
	}

	var undocumented, unserved []string
	for k := range served {
		if _, ok := spec[k]; !ok {
			undocumented = append(undocumented, k)
		}
	}
	for k, op := range spec {
		if !served[k] {
			unserved = append(unserved, fmt.Sprintf("%s (line %d)", k, op.line))
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	for _, k := range undocumented {
		t.Errorf("route %s is served but missing from %s", k, specPath)
	}
	for _, k := range unserved {
		t.Errorf("route %s is in %s but the router does not serve it", k, specPath)
	}
}

// TestOpenAPISecurityMatchesRouter checks each documented operation's security: an operation
// marked `security: []` must answer a request without a token with something other than
// 401 missing_token, and every other operation must answer exactly that.
func TestOpenAPISecurityMatchesRouter(t *testing.T) {
	r := newTestRouter(t)
	ops := readSpecOperations(t)
	public := 0
	for _, op := range ops {
		path := regexp.MustCompile(`:[^/]+`).ReplaceAllString(op.path, "0123456789abcdef01234567")
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(op.method, path, nil))
		var p Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		needsToken := rec.Code == http.StatusUnauthorized && p.Code == "missing_token"
		switch {
		case op.public && needsToken:
			t.Errorf("%s is documented with `security: []` but demands a token", op.key())
		case !op.public && !needsToken:
			t.Errorf("%s is documented as needing a token but answered %d %q without one", op.key(), rec.Code, p.Code)
		}
		if op.public {
			public++
		}
	}
	if public == 0 || public == len(ops) {
		t.Fatalf("%d of %d operations are public: the security scan is not working", public, len(ops))
	}
}

// TestOpenAPIDocumentsEveryErrorCode checks that each error code the API answers with is
// mentioned (as `code` or `409 code`) in the spec's descriptions. identity.ErrUserNotFound is left out on
// purpose: the API never sends it (a token whose user is gone is invalid_token).
func TestOpenAPIDocumentsEveryErrorCode(t *testing.T) {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	spec := string(raw)
	errs := []*apperr.Error{
		errMalformedJSON, errEmptyBody, errBodyTooLarge, errInvalidID, errMissingToken, errRouteNotFound,
		errOriginNotAllowed, errNothingToUpdate, errUnavailable, errNotJSON,
		apperr.Validation(), page.ErrBadCursor, page.ErrBadLimit,
		identity.ErrEmailTaken, identity.ErrInvalidCredentials, identity.ErrInvalidToken, identity.ErrTooManyAttempts,
		workspace.ErrWorkspaceNotFound, workspace.ErrMemberNotFound, workspace.ErrInvitationNotFound,
		workspace.ErrForbidden, workspace.ErrRankTooLow, workspace.ErrOwnRole, workspace.ErrAlreadyMember,
		workspace.ErrAlreadyInvited, workspace.ErrLastOwner, workspace.ErrConcurrentUpdate,
		errBadIfMatch, errNotMultipart, errUploadTooBig, errBadMultipart,
		workitem.ErrNotFound, workitem.ErrInvalidTransition, workitem.ErrVersionConflict, workitem.ErrConflict,
		workitem.ErrDocumentNotFound, workitem.ErrTooManyDocuments,
		document.ErrNotFound, document.ErrTooLarge, document.ErrVersionConflict, document.ErrConflict,
		errRateLimited, errUserOnly, idempotency.ErrInvalidKey, idempotency.ErrKeyReused, idempotency.ErrKeyInUse,
		apikey.ErrKeyNotFound, apikey.ErrInvalidToken, apikey.ErrTooManyKeys, workspace.ErrKeyOwner,
		webhook.ErrNotFound, webhook.ErrDeliveryNotFound, webhook.ErrConflict, webhook.ErrTooMany, webhook.ErrDestination,
	}
	codes := []string{"method_not_allowed", "internal"} // written without a catalogued error
	for _, e := range errs {
		codes = append(codes, e.Code)
	}
	for _, code := range codes {
		// Written as `code` or with its status, `409 code`.
		if !regexp.MustCompile("`(?:[0-9]{3} )?" + regexp.QuoteMeta(code) + "`").MatchString(spec) {
			t.Errorf("error code %q is not documented in %s", code, specPath)
		}
	}
}

// TestSpecScanner guards the scanner itself: it must find operations only under paths, convert
// templates to gin parameters, and read `security: []` per operation.
func TestSpecScanner(t *testing.T) {
	doc := `openapi: 3.1.0
info:
  title: x
  description: |
    /not/a/path:
      get:
paths:
  /a/{id}:
    parameters:
      - name: id
    get:
      security: []
      responses:
        '200':
          description: ok
    delete:
      responses:
        '204':
          description: gone
  '/b':
    post:
      description: |
        security: []
components:
  schemas:
    /c:
      get: {}
`
	ops, err := scanSpecOperations(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, fmt.Sprintf("%s public=%v", op.key(), op.public))
	}
	want := []string{"GET /a/:id public=true", "DELETE /a/:id public=false", "POST /b public=false"}
	if !slices.Equal(got, want) {
		t.Fatalf("scanned %q, want %q", got, want)
	}
	if _, err := scanSpecOperations(strings.NewReader("paths:\n  nope:\n    get: {}\n")); err == nil {
		t.Fatal("a path key without a leading slash was accepted")
	}
}
