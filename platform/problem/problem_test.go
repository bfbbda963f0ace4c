package problem_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/logging"
	"github.com/workspaceops/workspaceops/platform/problem"
)

func TestEveryKindHasAStatusAndAFrameCode(t *testing.T) {
	for k := apperr.Internal; k <= apperr.Unprocessable; k++ {
		if problem.Status(k) < 400 || problem.FrameCode(k) == "" {
			t.Errorf("kind %d: status %d, frame code %q", k, problem.Status(k), problem.FrameCode(k))
		}
	}
}

// A refusal that ends a WebSocket closes it with the protocol's code for its kind; the others
// leave the connection open.
func TestCloseCodes(t *testing.T) {
	for k, want := range map[apperr.Kind]int{
		apperr.Unauthenticated: 4001, apperr.RateLimited: 4008, apperr.Unavailable: 1013,
		apperr.Invalid: 0, apperr.NotFound: 0, apperr.Forbidden: 0, apperr.Internal: 0,
	} {
		if got := problem.CloseCode(k); got != want {
			t.Errorf("kind %d closes with %d, want %d", k, got, want)
		}
	}
}

func TestOf(t *testing.T) {
	notFound := apperr.New(apperr.NotFound, "thing_not_found", "no such thing")
	for name, tc := range map[string]struct {
		err  error
		want *apperr.Error
		log  bool
	}{
		"a domain error":           {fmt.Errorf("find: %w", notFound), notFound, false},
		"an unknown error":         {errors.New("boom"), problem.ErrInternal, true},
		"a store marked down":      {problem.StoreDown(errors.New("connection reset")), problem.ErrStoreUnavailable, true},
		"a deadline":               {fmt.Errorf("query: %w", context.DeadlineExceeded), problem.ErrStoreUnavailable, true},
		"a network error unmarked": {fmt.Errorf("read body: %w", &net.OpError{Op: "read", Err: errors.New("reset")}), problem.ErrInternal, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, log := problem.Of(tc.err)
			if !errors.Is(got, tc.want) || log != tc.log {
				t.Fatalf("Of = %v (log %v), want %v (log %v)", got, log, tc.want, tc.log)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	req = req.WithContext(logging.WithRequestID(req.Context(), "r1"))
	problem.Write(rec, req, problem.ErrStoreUnavailable)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" ||
		rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	if want := `{"type":"urn:workspaceops:problem:store_unavailable","title":"Service Unavailable","status":503,"detail":"the database is not answering; retry shortly","code":"store_unavailable","requestId":"r1"}` + "\n"; rec.Body.String() != want {
		t.Fatalf("body %s", rec.Body)
	}
}
