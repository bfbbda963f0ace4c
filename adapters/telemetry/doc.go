// Package telemetry binds the observe ports to Prometheus and OpenTelemetry: the registry every
// metric of the service is registered on (no global default registry), the metrics themselves,
// the /metrics listener, and a tracer that exports spans over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set. Modules and the other adapters never import it; they see
// observe.Tracer, observe.Counter, observe.Histogram and small ports of their own, which
// cmd/workspaceops fills from here.
package telemetry
