package telemetry

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/workspaceops/workspaceops/platform/observe"
)

// Tracer is observe.Tracer on an OpenTelemetry tracer provider, with W3C trace context as the
// one propagation format.
type Tracer struct {
	t    trace.Tracer
	prop propagation.TraceContext
}

// NewTracer returns a tracer of tp (a test passes one with an in-memory exporter).
func NewTracer(tp trace.TracerProvider) Tracer {
	return Tracer{t: tp.Tracer("github.com/workspaceops/workspaceops")}
}

var _ observe.Tracer = Tracer{}

// Start opens a span, child of ctx's span or else of the remote parent.
func (t Tracer) Start(ctx context.Context, name, parent string) (context.Context, observe.Span) {
	if parent != "" && !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = t.prop.Extract(ctx, propagation.MapCarrier{"traceparent": parent})
	}
	ctx, s := t.t.Start(ctx, name)
	return ctx, span{s}
}

// TraceParent returns the traceparent of ctx's span.
func (t Tracer) TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	t.prop.Inject(ctx, c)
	return c["traceparent"]
}

type span struct{ s trace.Span }

func (s span) End(err error) {
	if err != nil {
		s.s.SetStatus(codes.Error, err.Error())
	}
	s.s.End()
}

func (s span) TraceID() string {
	if sc := s.s.SpanContext(); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

func (s span) Annotate(key, value string) { s.s.SetAttributes(attribute.String(key, value)) }

// OTLP returns a tracer exporting over OTLP/HTTP, and its shutdown, which flushes what is
// buffered. The SDK reads the OTEL_* variables itself: OTEL_EXPORTER_OTLP_ENDPOINT (the
// collector's base URL; /v1/traces is appended), headers, timeout, sampler, service name and
// resource attributes.
func OTLP(ctx context.Context) (Tracer, func(context.Context) error, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return Tracer{}, nil, fmt.Errorf("otlp exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "workspaceops")), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return Tracer{}, nil, fmt.Errorf("otel resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return NewTracer(tp), tp.Shutdown, nil
}
