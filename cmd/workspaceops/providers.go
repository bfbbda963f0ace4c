package main

// The providers here map configuration (config.Config) onto the options of the modules and
// adapters; everything else is composed from ProviderSets in wire.go.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/workspaceops/workspaceops/adapters/httpapi"
	"github.com/workspaceops/workspaceops/adapters/natsbus"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/adapters/telemetry"
	"github.com/workspaceops/workspaceops/adapters/token"
	"github.com/workspaceops/workspaceops/adapters/webhooksender"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/observe"
	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

// provideTokenConfig configures the JWT signer. Without JWT_SECRET (allowed only on the embedded
// store) a random secret is generated, so tokens do not survive a restart; the log says so.
func provideTokenConfig(cfg config.Config, log *slog.Logger) (token.Config, error) {
	secret := cfg.JWTSecret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return token.Config{}, fmt.Errorf("generate JWT secret: %w", err)
		}
		log.Warn("JWT_SECRET is not set: generated a random secret for this run; tokens will not survive a restart")
	}
	return token.Config{Secret: secret, Issuer: "workspaceops", Audience: "workspaceops-api", TTL: cfg.TokenTTL, Leeway: 30 * time.Second}, nil
}

func provideThrottles(cfg config.Config, c clock.Clock, m *telemetry.Metrics) identity.Throttles {
	return identity.Throttles{
		ByEmail: countedThrottle{ratelimit.NewFailures(cfg.LoginMaxFails, cfg.LoginWindow, c), m.RateLimited("login_email")},
		ByAddr:  countedThrottle{ratelimit.NewFailures(4*cfg.LoginMaxFails, cfg.LoginWindow, c), m.RateLimited("login_address")},
	}
}

func provideWorkspaceService(repo workspace.Repository, users workspace.UserDirectory, purger workspace.ContentPurger, keys workspace.KeyGrants,
	ev events.Publisher, c clock.Clock, cfg config.Config, log *slog.Logger) (*workspace.Service, error) {
	return workspace.NewService(workspace.Deps{Repo: repo, Users: users, Purger: purger, Keys: keys, Events: ev, Clock: c, Log: log, InvitationTTL: cfg.InvitationTTL})
}

func provideDocumentService(repo document.Repository, blobs document.BlobStore, links document.LinkRemover, az authz.Authorizer,
	ev events.Publisher, c clock.Clock, cfg config.Config, log *slog.Logger) (*document.Service, error) {
	return document.NewService(document.Deps{
		Repo: repo, Blobs: blobs, Links: links, Authz: az, Events: ev, Clock: c, Log: log,
		MaxSize: cfg.MaxUploadBytes, ExpiringWindow: cfg.ExpiringWindow,
	})
}

func provideSweep(docs *document.Service, cfg config.Config) func(ctx context.Context) {
	return func(ctx context.Context) { docs.RunSweeper(ctx, cfg.SweepInterval) }
}

// provideAuditLog: b, the first to hear of every stored entry, is the realtime bus.
func provideAuditLog(repo auditlog.Repository, az authz.Authorizer, b auditlog.Broadcaster, tracer observe.Tracer, log *slog.Logger) (*auditlog.Service, error) {
	return auditlog.NewService(repo, az, b, log.With(slog.String("component", "auditlog")), auditlog.WithTracer(tracer))
}

// provideOverviewNotifier: at most one overview:updated per workspace per WSO_OVERVIEW_COALESCE,
// published through the audit log like every event (bridge.Events subscribes it to the log).
func provideOverviewNotifier(cfg config.Config, c clock.Clock, audit *auditlog.Service) (*overview.Notifier, func()) {
	n := overview.NewNotifier(audit, cfg.OverviewWindow, c)
	return n, n.Close
}

// provideBus is in-process for one instance, and NATS when WSO_NATS_URL names one, so that
// several instances behind a load balancer deliver each other's changes.
func provideBus(cfg config.Config, log *slog.Logger) (realtime.Bus, func(), error) {
	if cfg.NATSURL == "" {
		return realtime.NewLocalBus(), func() {}, nil
	}
	host, _ := os.Hostname()
	b, err := natsbus.New(natsbus.Options{
		URL: cfg.NATSURL, Subject: cfg.NATSSubject, Poll: cfg.NATSPoll,
		Name: fmt.Sprintf("workspaceops %s pid %d", host, os.Getpid()),
		Log:  log.With(slog.String("component", "natsbus")),
	})
	if err != nil {
		return nil, nil, err
	}
	return b, b.Close, nil
}

// provideRealtimeDeps configures the hub.
func provideRealtimeDeps(cfg config.Config, auth realtime.Authenticator, az authz.Authorizer, audit *auditlog.Service, bus realtime.Bus,
	m *telemetry.Metrics, tracer observe.Tracer, log *slog.Logger) realtime.Deps {
	return realtime.Deps{
		Auth: auth, Authz: az, Replay: audit, Bus: bus,
		Options: realtime.Options{
			AllowedOrigins: cfg.AllowedOrigins, PingInterval: cfg.WSPingInterval, QueueSize: cfg.WSQueueSize,
			SendBuffer: cfg.WSSendBuffer, MaxConnsPerUser: cfg.WSMaxConnsUser, ReplayLimit: cfg.ReplayLimit,
			Log: log.With(slog.String("component", "realtime")), Metrics: realtimeMetrics(m), Tracer: tracer,
		},
	}
}

// provideTicketConfig configures the SSE tickets: signed with a key derived from JWT_SECRET (so
// every instance accepts every instance's tickets; a random key when it is generated), their
// use recorded in the database, so each is used once across instances.
func provideTicketConfig(cfg config.Config, used realtime.Redemptions) realtime.TicketConfig {
	var key []byte
	if len(cfg.JWTSecret) > 0 {
		m := hmac.New(sha256.New, cfg.JWTSecret)
		m.Write([]byte("workspaceops/sse-ticket/v1")) // its own key: a ticket is never a valid JWT signature
		key = m.Sum(nil)
	}
	return realtime.TicketConfig{Key: key, Redemptions: used}
}

// provideRealtimeEndpoints hands the router the realtime adapter's endpoints.
func provideRealtimeEndpoints(h *realtime.Hub, ws *realtime.WebSocket, sse *realtime.Events) httpapi.Realtime {
	return httpapi.Realtime{WebSocket: ws, Events: sse, IssueTicket: sse.IssueTicket, Ready: h.Ready}
}

func provideHTTPConfig(cfg config.Config, m *telemetry.Metrics, tracer observe.Tracer) httpapi.Config {
	return httpapi.Config{
		AllowedOrigins: cfg.AllowedOrigins, TrustedProxies: cfg.TrustedProxies,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes, RateLimit: cfg.RateLimit,
		RateLimited: m.RateLimited("rest"), Tracer: tracer, Requests: m,
	}
}

// provideWebhookSender: deliveries reach only public addresses, and the hosts of
// WSO_WEBHOOK_ALLOWED_HOSTS.
func provideWebhookSender(cfg config.Config) *webhooksender.Sender {
	return webhooksender.New(webhooksender.Options{AllowedHosts: cfg.WebhookAllowedHosts})
}

// provideWebhookDispatcher names this instance in the webhooks' leases (host, process and a
// random part, so a restarted process is a new holder).
func provideWebhookDispatcher(cfg config.Config, repo webhook.Repository, lg webhook.Log, sender webhook.Sender, ev events.Publisher,
	m *telemetry.Metrics, log *slog.Logger) (*webhook.Dispatcher, error) {
	host, _ := os.Hostname()
	return webhook.NewDispatcher(repo, lg, sender, ev, clock.System{}, log.With(slog.String("component", "webhooks")), webhook.Options{
		Owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), ids.New()), Retry: cfg.WebhookRetry, Lease: cfg.WebhookLease, Poll: cfg.WebhookPoll,
		Attempts: m,
	})
}

func provideWebhookService(cfg config.Config, repo webhook.Repository, lg webhook.Log, sender webhook.Sender, az authz.Authorizer,
	d *webhook.Dispatcher, c clock.Clock, log *slog.Logger) (*webhook.Service, error) {
	return webhook.NewService(webhook.Deps{
		Repo: repo, Log: lg, Sender: sender, Authz: az, Dispatcher: d, Clock: c, Logger: log.With(slog.String("component", "webhooks")),
		Rules: webhook.URLRules{AllowHTTP: cfg.WebhookAllowHTTP}, MaxPerWorkspace: cfg.WebhookMax,
	})
}
