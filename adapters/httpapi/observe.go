package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/logging"
	"github.com/workspaceops/workspaceops/platform/observe"
)

// RequestObserver records each answered request: its route template ("unmatched" when no
// route matched), method (a standard one, else "other"), status code and duration; timed is
// false for the realtime streams, whose duration is the connection's.
type RequestObserver interface {
	ObserveRequest(route, method string, code int, d time.Duration, timed bool)
}

const headerTraceParent = "traceparent"

// streamRoutes last as long as their connection; their duration says nothing of the server.
var streamRoutes = map[string]bool{"/ws": true, "/events": true}

// observeRequests opens the request's server span (a child of the caller's W3C traceparent
// when it sent one), returns its traceparent so a client can find the trace, puts the trace id
// in the request's log lines, and records the request once answered. Labels are bounded:
// route templates, never raw paths.
func observeRequests(tracer observe.Tracer, obs RequestObserver) gin.HandlerFunc {
	if tracer == nil {
		tracer = observe.NoTracer{}
	}
	return func(c *gin.Context) {
		start := time.Now()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := methodLabel(c.Request.Method)
		ctx, span := tracer.Start(c.Request.Context(), method+" "+route, c.GetHeader(headerTraceParent))
		if tp := tracer.TraceParent(ctx); tp != "" {
			c.Header(headerTraceParent, tp)
		}
		if id := span.TraceID(); id != "" {
			ctx = logging.WithTraceID(ctx, id)
		}
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		code := c.Writer.Status()
		span.Annotate("http.route", route)
		span.Annotate("http.response.status_code", strconv.Itoa(code))
		var failed error
		if code >= 500 {
			failed = statusError(code)
		}
		span.End(failed)
		if obs != nil {
			obs.ObserveRequest(route, method, code, time.Since(start), !streamRoutes[route])
		}
	}
}

// statusError marks a span of a request answered with a server error.
type statusError int

func (e statusError) Error() string { return http.StatusText(int(e)) }

// methodLabel bounds the method label: a client can send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
