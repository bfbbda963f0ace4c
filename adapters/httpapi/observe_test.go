package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/logging"
	"github.com/workspaceops/workspaceops/platform/observe"
)

// fakeTracer records the spans it opens; a span's traceparent is "tp:<name>".
type fakeTracer struct{ started []string }

type spanKey struct{}

func (f *fakeTracer) Start(ctx context.Context, name, parent string) (context.Context, observe.Span) {
	f.started = append(f.started, name+" <- "+parent)
	return context.WithValue(ctx, spanKey{}, name), fakeSpan{}
}

func (f *fakeTracer) TraceParent(ctx context.Context) string {
	name, _ := ctx.Value(spanKey{}).(string)
	return "tp:" + name
}

type fakeSpan struct{}

func (fakeSpan) End(error)            {}
func (fakeSpan) TraceID() string      { return "trace-1" }
func (fakeSpan) Annotate(_, _ string) {}

type recordedRequest struct {
	route, method string
	code          int
	timed         bool
}

type requestRecorder []recordedRequest

func (r *requestRecorder) ObserveRequest(route, method string, code int, _ time.Duration, timed bool) {
	*r = append(*r, recordedRequest{route, method, code, timed})
}

// TestRequestsObservedByRouteTemplate: a request is counted under its route template (never
// its raw path), "unmatched" when no route matched, an unknown method as "other"; its server
// span continues the caller's traceparent, returns its own, and its log lines carry the trace.
func TestRequestsObservedByRouteTemplate(t *testing.T) {
	var logs bytes.Buffer
	log, _ := logging.New(&logs, "info", "json")
	tracer, rec := &fakeTracer{}, &requestRecorder{}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(requestID(), observeRequests(tracer, rec), accessLog(log))
	r.GET("/items/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/ws", func(c *gin.Context) { c.Status(http.StatusOK) })
	r.NoRoute(func(c *gin.Context) { c.Status(http.StatusNotFound) })

	do := func(method, path string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	w := do("GET", "/items/6561f0c2a1b2c3d4e5f60718", "traceparent", "00-caller-01")
	if got := w.Header().Get("traceparent"); got != "tp:GET /items/:id" {
		t.Errorf("response traceparent %q", got)
	}
	do("GET", "/no/such/6561f0c2a1b2c3d4e5f60718")
	do("BREW", "/items/x")
	do("GET", "/ws")

	want := []recordedRequest{{"/items/:id", "GET", 204, true}, {"unmatched", "GET", 404, true}, {"unmatched", "other", 404, true}, {"/ws", "GET", 200, false}}
	if len(*rec) != len(want) {
		t.Fatalf("recorded %v", *rec)
	}
	for i, w := range want {
		if (*rec)[i] != w {
			t.Errorf("request %d recorded as %+v, want %+v", i, (*rec)[i], w)
		}
	}
	if tracer.started[0] != "GET /items/:id <- 00-caller-01" {
		t.Errorf("spans %v", tracer.started)
	}
	if !strings.Contains(strings.SplitN(logs.String(), "\n", 2)[0], `"trace_id":"trace-1"`) {
		t.Errorf("the request's log line has no trace id: %s", logs.String())
	}
}
