package telemetry

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestTracerContinuesARemoteParentAndCarriesItsOwn: a span started with a traceparent and no
// span in the context joins that trace as its child; a span in the context wins over the
// string; TraceParent round-trips; a failed span is marked as an error.
func TestTracerContinuesARemoteParentAndCarriesItsOwn(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := NewTracer(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

	ctx, span := tr.Start(context.Background(), "request", caller)
	if span.TraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("trace id %q", span.TraceID())
	}
	tp := tr.TraceParent(ctx)
	if !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || tp == caller {
		t.Fatalf("traceparent %q", tp)
	}
	_, child := tr.Start(ctx, "store", "00-11111111111111111111111111111111-2222222222222222-01")
	child.End(errors.New("boom"))
	span.End(nil)
	_, later := tr.Start(context.Background(), "delivery", tp)
	later.End(nil)

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	req, store, delivery := spans[1], spans[0], spans[2]
	if req.Parent.SpanID().String() != "00f067aa0ba902b7" || store.Parent.SpanID() != req.SpanContext.SpanID() ||
		delivery.Parent.SpanID() != req.SpanContext.SpanID() || delivery.SpanContext.TraceID() != req.SpanContext.TraceID() {
		t.Fatalf("parents: request %v, store %v, delivery %v", req.Parent, store.Parent, delivery.Parent)
	}
	if store.Status.Description != "boom" {
		t.Fatalf("the failed span's status %+v", store.Status)
	}
	if (Tracer{}).TraceParent(context.Background()) != "" {
		t.Fatal("a context without a span has a traceparent")
	}
}
