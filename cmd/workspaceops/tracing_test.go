package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/workspaceops/workspaceops/adapters/telemetry"
	"github.com/workspaceops/workspaceops/platform/config"
)

// TestOneTraceFromRequestToSockets builds the app with an in-memory span exporter and follows a
// status change: the PATCH's server span continues the caller's traceparent and returns its
// own; the repository call and the audit append are its children (the append's store call a
// child of the append); the hub's delivery to the sockets is a child of the append, in the
// same trace, although it runs on the bus's goroutine.
func TestOneTraceFromRequestToSockets(t *testing.T) {
	env := withStore(t, map[string]string{"JWT_SECRET": testSecret, "WSO_OVERVIEW_COALESCE": "1h"})
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	app, cleanup, err := initApp(context.Background(), cfg, slog.New(slog.DiscardHandler), telemetry.NewTracer(tp))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app.Handler)
	t.Cleanup(func() {
		ts.Close()
		_ = app.Realtime.Shutdown(context.Background(), 0)
		cleanup()
	})
	s := &server{base: ts.URL, t: t}
	wid, owner, member, _ := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, owner.token, map[string]string{"title": "Traced"}).want(t, 201).str("id")
	watcher := s.live(t, member)
	watcher.join(wid, nil)

	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	r := s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "ACTIVE"}, "traceparent", caller).want(t, 200)
	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	if tp := r.header.Get("traceparent"); !strings.HasPrefix(tp, "00-"+traceID+"-") || tp == caller {
		t.Fatalf("response traceparent %q: want the caller's trace with the server's span", tp)
	}
	watcher.event("work-item:status-changed")

	var got tracetest.SpanStubs
	byName := map[string]tracetest.SpanStub{}
	deadline := time.Now().Add(rtWait)
	for byName["realtime.deliver"].Name == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no delivery span of the trace; spans: %v", names(got))
		}
		time.Sleep(10 * time.Millisecond)
		got = nil
		for _, sp := range spans.GetSpans() {
			if sp.SpanContext.TraceID().String() == traceID {
				got = append(got, sp)
				byName[sp.Name] = sp
			}
		}
	}
	server := byName["PATCH /api/v1/workspaces/:wid/work-items/:id/status"]
	if server.Name == "" || server.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("no server span, child of the caller's, in %v", names(got))
	}
	for child, parent := range map[string]string{
		"workItems.update":  server.Name,
		"auditlog.append":   server.Name,
		"auditLog.append":   "auditlog.append",
		"realtime.deliver":  "auditlog.append",
		"workspaces.member": server.Name,
	} {
		c, p := byName[child], byName[parent]
		if c.Name == "" || p.Name == "" || c.Parent.SpanID() != p.SpanContext.SpanID() {
			t.Errorf("%s is not a child of %s in the trace: %v", child, parent, names(got))
		}
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
