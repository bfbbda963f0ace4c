package realtime

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// TestSpecsDocumentEveryRealtimeRefusal: each refusal of a handshake or a stream request is
// documented by its code in api/openapi.yaml (GET /ws, GET /events) and api/asyncapi.yaml, and
// each refusal on an open connection is an error frame whose code the table gives, listed in
// api/asyncapi.yaml.
func TestSpecsDocumentEveryRealtimeRefusal(t *testing.T) {
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join("..", "..", "api", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	openapi, asyncapi := read("openapi.yaml"), read("asyncapi.yaml")
	documented := func(spec, code string) bool {
		return regexp.MustCompile("`(?:[0-9]{3} )?" + regexp.QuoteMeta(code) + "`|- " + regexp.QuoteMeta(code) + "\n").MatchString(spec)
	}
	for _, e := range []*apperr.Error{errTokenInQuery, errNotHandshake, errBadAuthorization, errShuttingDown,
		errTooManyConnections, errInvalidWorkspaceID, errInvalidSince, errInvalidTicket, ErrTooManyTickets} {
		if !documented(openapi, e.Code) {
			t.Errorf("refusal %q is not documented in api/openapi.yaml", e.Code)
		}
		if !documented(asyncapi, e.Code) {
			t.Errorf("refusal %q is not documented in api/asyncapi.yaml", e.Code)
		}
	}
	frameCodes := regexp.MustCompile(`enum: \[(bad_request,[^\]]*)\]`).FindStringSubmatch(asyncapi)
	if frameCodes == nil {
		t.Fatal("api/asyncapi.yaml has no enum of error frame codes")
	}
	for _, e := range []*apperr.Error{errAuthFirst, errRefreshToken, errOtherUser, errBinaryFrame, errMalformedFrame,
		errTooManyJoins, errShuttingDown, problem.ErrStoreUnavailable, problem.ErrInternal} {
		if code := problem.FrameCode(e.Kind); code == "" || !slices.Contains(strings.Split(frameCodes[1], ", "), code) {
			t.Errorf("error frame code %q (of %s) is not documented in api/asyncapi.yaml", code, e.Code)
		}
	}
}
