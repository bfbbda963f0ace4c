// Package observe holds the ports through which modules and adapters report what operators
// measure — spans of a trace, counts, durations — without importing Prometheus or
// OpenTelemetry: cmd/workspaceops binds them to the real libraries (adapters/telemetry), and
// everything defaults to doing nothing. A trace crosses module boundaries as an opaque string,
// the W3C traceparent of the span that caused it.
package observe

import (
	"context"
	"time"
)

// Tracer opens spans. Implementations must be safe for concurrent use.
type Tracer interface {
	// Start opens a span named name: a child of the span ctx carries, or, when ctx carries
	// none and parent (a W3C traceparent) is not empty, of that remote span.
	Start(ctx context.Context, name, parent string) (context.Context, Span)
	// TraceParent returns the W3C traceparent of the span ctx carries, "" when none.
	TraceParent(ctx context.Context) string
}

// Span is one timed operation of a trace.
type Span interface {
	// End closes the span, marked failed when err is not nil.
	End(err error)
	// TraceID is the hex trace id, "" for a span that is not recorded.
	TraceID() string
	// Annotate sets an attribute of the span (a route, a status code): bounded values only.
	Annotate(key, value string)
}

// NoTracer opens spans that record nothing: the default.
type NoTracer struct{}

// Start returns ctx and a span that records nothing.
func (NoTracer) Start(ctx context.Context, _, _ string) (context.Context, Span) {
	return ctx, noSpan{}
}

// TraceParent returns "".
func (NoTracer) TraceParent(context.Context) string { return "" }

type noSpan struct{}

func (noSpan) End(error)            {}
func (noSpan) TraceID() string      { return "" }
func (noSpan) Annotate(_, _ string) {}

// Counter is a monotonic count (a prometheus.Counter is one).
type Counter interface{ Add(float64) }

// Histogram records observations, in base units (a prometheus.Histogram is one).
type Histogram interface{ Observe(float64) }

// Nop counts and observes nothing.
type Nop struct{}

// Add does nothing.
func (Nop) Add(float64) {}

// Observe does nothing.
func (Nop) Observe(float64) {}

// Ops records the duration and outcome of one kind of operation (a store's repository calls):
// op names it ("workItems.update"), err is its result.
type Ops interface {
	Observe(op string, d time.Duration, err error)
}

// Operation observes one operation of ops, and opens its span with tracer, for a repository
// method's first line:
//
//	defer observe.Operation(&ctx, r.tracer, r.ops, "workItems.update", &err)()
//
// ctx is replaced by the span's context (the method's body runs in it); the returned function
// ends the span and records the duration with the method's named error result.
func Operation(ctx *context.Context, tracer Tracer, ops Ops, op string, err *error) func() {
	start := time.Now()
	c, span := tracer.Start(*ctx, op, "")
	*ctx = c
	return func() {
		ops.Observe(op, time.Since(start), *err)
		span.End(*err)
	}
}
