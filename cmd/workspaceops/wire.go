//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/workspaceops/workspaceops/adapters/bridge"
	"github.com/workspaceops/workspaceops/adapters/httpapi"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/adapters/telemetry"
	"github.com/workspaceops/workspaceops/adapters/token"
	"github.com/workspaceops/workspaceops/adapters/webhooksender"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/observe"
	"github.com/workspaceops/workspaceops/platform/password"
)

// storeSet: the repositories of the one database configured. SQLite or MongoDB is chosen at run
// time (MONGO_URI), which a graph fixed at build time cannot do, so provideStore chooses.
var storeSet = wire.NewSet(
	provideObservedStore,
	wire.FieldsOf(new(*Store), "Users", "Workspaces", "WorkItems", "Documents", "Blobs", "AuditLog", "Redemptions", "APIKeys", "Idempotency", "Webhooks", "Ready"),
)

// platformSet: the plumbing modules take from platform.
var platformSet = wire.NewSet(
	wire.InterfaceValue(new(clock.Clock), clock.System{}),
	wire.Value(password.Default), password.NewHasher, wire.Bind(new(identity.PasswordHasher), new(*password.Hasher)),
)

// moduleSet: each module's use cases (the facets modules answer each other with come with
// bridge.ProviderSet). Modules do not import wire, so their constructors are listed here; those
// that take configuration are mapped in providers.go.
var moduleSet = wire.NewSet(
	wire.Struct(new(identity.Deps), "*"), identity.NewService,
	wire.Struct(new(workitem.Deps), "*"), workitem.NewService,
	overview.NewService,
	wire.Struct(new(apikey.Deps), "Repo", "Grants", "Authz", "Events", "Clock", "Log"), apikey.NewService,
	idempotency.NewKeeper, newCredentials,
	wire.Bind(new(httpapi.Authenticator), new(credentials)), wire.Bind(new(realtime.Authenticator), new(credentials)),
	provideWorkspaceService, provideDocumentService, provideSweep, provideAuditLog, provideOverviewNotifier, provideThrottles,
)

// realtimeSet: the bus between the audit log and the hubs (in-process or NATS, chosen at run
// time by WSO_NATS_URL), the hub, its WebSocket and SSE transports, and those as the router's
// realtime endpoints.
var realtimeSet = wire.NewSet(
	provideBus, wire.Bind(new(auditlog.Broadcaster), new(realtime.Bus)),
	provideRealtimeDeps, newHub, realtime.ProviderSet, provideTicketConfig, provideRealtimeEndpoints,
	provideMetrics,
)

// webhookSet: the sender (the address-checking HTTP client), the dispatcher and the use cases;
// bridge.ProviderSet subscribes the dispatcher to the audit log.
var webhookSet = wire.NewSet(
	provideWebhookSender, wire.Bind(new(webhook.Sender), new(*webhooksender.Sender)),
	provideWebhookDispatcher, provideWebhookService,
)

// telemetrySet: the metrics registry (the tracer is initApp's argument: serve's exports over
// OTLP or records nothing, a test's keeps spans in memory).
var telemetrySet = wire.NewSet(telemetry.New)

// initApp builds the whole object graph; wire generates its body in wire_gen.go.
func initApp(ctx context.Context, cfg config.Config, log *slog.Logger, tracer observe.Tracer) (*App, func(), error) {
	wire.Build(storeSet, platformSet, moduleSet, realtimeSet, webhookSet, telemetrySet,
		bridge.ProviderSet, token.ProviderSet, httpapi.ProviderSet,
		provideTokenConfig, provideHTTPConfig, wire.Struct(new(App), "*"))
	return nil, nil, nil
}
