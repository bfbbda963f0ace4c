package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/workspaceops/workspaceops/adapters/natsbus"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/adapters/telemetry"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/observe"
)

// What joins the service to its metrics and traces. Each metric is defined once, in
// adapters/telemetry; here its collector is handed to the module or adapter that counts (as a
// port: observe.Counter, observe.Histogram, observe.Ops), or read at each scrape from the
// counts a component already keeps (GaugeFunc, CounterFunc).

// provideTracer is the tracer of serve: OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set,
// else one that records nothing. The returned function flushes what is buffered.
func provideTracer(ctx context.Context, cfg config.Config, log *slog.Logger) (observe.Tracer, func(), error) {
	if cfg.OTLPEndpoint == "" {
		return observe.NoTracer{}, func() {}, nil
	}
	t, shutdown, err := telemetry.OTLP(ctx)
	if err != nil {
		return nil, nil, err
	}
	log.Info("traces exported over OTLP/HTTP", slog.String("endpoint", cfg.OTLPEndpoint))
	return t, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Warn("flush traces", slog.Any("error", err))
		}
	}, nil
}

// provideObservedStore is the configured store with every repository call timed and traced.
func provideObservedStore(ctx context.Context, cfg config.Config, log *slog.Logger, m *telemetry.Metrics, tracer observe.Tracer) (*Store, func(), error) {
	s, cleanup, err := provideStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return observed(s, storeObserver{tracer: tracer, ops: m.StoreOps(storeKind(cfg))}), cleanup, nil
}

// realtimeMetrics are the hub's counters, resolved once.
func realtimeMetrics(m *telemetry.Metrics) realtime.Metrics {
	return realtime.Metrics{
		WebSocketDeliveries: m.Deliveries.WithLabelValues("websocket"),
		SSEDeliveries:       m.Deliveries.WithLabelValues("sse"),
		DeliveryLag:         m.DeliveryLag,
		QueueFull:           m.QueueFull,
		Closed:              m.Closed,
		ResumedFromMemory:   m.Resumes.WithLabelValues("memory"),
		ResumedFromLog:      m.Resumes.WithLabelValues("log"),
		Resynced:            m.Resumes.WithLabelValues("resync"),
		CatchUps:            m.BusCatchUps,
	}
}

// countedThrottle counts the attempts a login throttle refuses.
type countedThrottle struct {
	identity.Throttle
	refused observe.Counter
}

func (t countedThrottle) Wait(key string) time.Duration {
	d := t.Throttle.Wait(key)
	if d > 0 {
		t.refused.Add(1)
	}
	return d
}

// MetricsHandler serves the registry (GET /metrics on WSO_METRICS_ADDR).
type MetricsHandler http.Handler

// provideMetrics registers, on the registry, the gauges and counts read at each scrape from the
// hub, the audit log and the bus.
func provideMetrics(m *telemetry.Metrics, hub *realtime.Hub, audit *auditlog.Service, bus realtime.Bus) MetricsHandler {
	stat := func(f func(realtime.Stats) int) func() float64 {
		return func() float64 { return float64(f(hub.Stats())) }
	}
	m.GaugeFuncVec("realtime_connections", "Open realtime connections, by transport.", "transport", map[string]func() float64{
		"websocket": stat(func(s realtime.Stats) int { return s.WebSockets }),
		"sse":       stat(func(s realtime.Stats) int { return s.SSEStreams }),
	})
	m.GaugeFunc("realtime_rooms", "Workspace rooms with at least one subscriber on this instance.", stat(func(s realtime.Stats) int { return s.Rooms }))
	m.CounterFunc("audit_append_failures_total", "Events not appended to the audit log after every retry (lost to the log).",
		func() float64 { return float64(audit.Failures()) })
	m.GaugeFunc("bus_up", "1 when the realtime bus is connected (always with the in-process bus), else 0.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if bus.Ready(ctx) != nil {
			return 0
		}
		return 1
	})
	if nb, ok := bus.(*natsbus.Bus); ok {
		nats := func(f func(natsbus.Stats) int64) func() float64 {
			return func() float64 { return float64(f(nb.Stats())) }
		}
		m.CounterFunc("bus_published_total", "Audit entries handed to NATS.", nats(func(s natsbus.Stats) int64 { return s.Published }))
		m.CounterFunc("bus_publish_failures_total", "Audit entries not published to NATS (queue full, reconnect buffer full, closed).",
			nats(func(s natsbus.Stats) int64 { return s.PublishFailures }))
		m.CounterFunc("bus_received_total", "Audit entries received from other instances.", nats(func(s natsbus.Stats) int64 { return s.Received }))
		m.CounterFunc("bus_malformed_total", "Messages on the bus's subjects that did not decode.", nats(func(s natsbus.Stats) int64 { return s.Malformed }))
	}
	return m.Handler()
}
