package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/workspaceops/workspaceops/adapters/bridge"
	"github.com/workspaceops/workspaceops/adapters/httpapi"
	"github.com/workspaceops/workspaceops/adapters/natsbus"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/adapters/token"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/password"
	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

// App is what serve needs once everything is wired.
type App struct {
	Handler http.Handler
	// Sweep runs the document expiry sweeper until its context ends.
	Sweep func(ctx context.Context)
	// Realtime is the WebSocket/SSE hub; serve shuts it down after REST has drained.
	Realtime *realtime.Hub
	// Counters are served on the debug listener.
	Counters Counters
}

// Counters returns the process's gauges and counts since start, for operators: realtime
// connections and rooms, audit appends given up, and the NATS bus's publishes, failures and
// receipts when there is one.
type Counters func() map[string]any

func provideCounters(rt *realtime.Hub, audit *auditlog.Service, bus realtime.Bus) Counters {
	return func() map[string]any {
		m := map[string]any{"realtime": rt.Stats(), "auditAppendFailures": audit.Failures()}
		if nb, ok := bus.(*natsbus.Bus); ok {
			m["nats"] = nb.Stats()
		}
		return m
	}
}

func provideSweep(docs *document.Service, cfg config.Config) func(ctx context.Context) {
	return func(ctx context.Context) { docs.RunSweeper(ctx, cfg.SweepInterval) }
}

func provideHasher() *password.Hasher { return password.NewHasher(password.Default) }

// provideTokens builds the JWT signer. Without JWT_SECRET (allowed only on the embedded store)
// a random secret is generated, so tokens do not survive a restart; the log says so.
func provideTokens(cfg config.Config, log *slog.Logger) (*token.JWT, error) {
	secret := cfg.JWTSecret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("generate JWT secret: %w", err)
		}
		log.Warn("JWT_SECRET is not set: generated a random secret for this run; tokens will not survive a restart")
	}
	return token.New(token.Config{
		Secret: secret, Issuer: "workspaceops", Audience: "workspaceops-api",
		TTL: cfg.TokenTTL, Leeway: 30 * time.Second,
	})
}

func provideClock() clock.Clock { return clock.System{} }

func provideThrottles(cfg config.Config, c clock.Clock) identity.Throttles {
	return identity.Throttles{
		ByEmail: ratelimit.NewFailures(cfg.LoginMaxFails, cfg.LoginWindow, c),
		ByAddr:  ratelimit.NewFailures(4*cfg.LoginMaxFails, cfg.LoginWindow, c),
	}
}

// provideEvents is what every module publishes to: the overview notifier (which adds coalesced
// overview:updated events) in front of the audit log, which stores each event and then hands it
// to the broadcaster.
func provideEvents(cfg config.Config, c clock.Clock, audit *auditlog.Service) (events.Publisher, func()) {
	n := overview.NewNotifier(audit, cfg.OverviewWindow, c)
	return n, n.Close
}

func provideAuditLog(repo auditlog.Repository, az authz.Authorizer, b auditlog.Broadcaster, log *slog.Logger) (*auditlog.Service, error) {
	return auditlog.NewService(repo, az, b, log.With(slog.String("component", "auditlog")))
}

// provideBroadcaster: the audit log hands every stored entry to the realtime bus, which feeds
// the hub of this instance and, over NATS, of every other.
func provideBroadcaster(bus realtime.Bus) auditlog.Broadcaster { return bus }

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

// provideRealtime builds the hub and has it told of revoked tokens.
func provideRealtime(cfg config.Config, ids *identity.Service, az authz.Authorizer, audit *auditlog.Service, bus realtime.Bus,
	log *slog.Logger) (*realtime.Hub, error) {
	h, err := realtime.New(realtime.Deps{
		Auth: ids, Authz: az, Replay: audit, Bus: bus,
		Options: realtime.Options{
			AllowedOrigins: cfg.AllowedOrigins, PingInterval: cfg.WSPingInterval, QueueSize: cfg.WSQueueSize,
			SendBuffer: cfg.WSSendBuffer, MaxConnsPerUser: cfg.WSMaxConnsUser, ReplayLimit: cfg.ReplayLimit,
			Log: log.With(slog.String("component", "realtime")),
		},
	})
	if err != nil {
		return nil, err
	}
	relayRevocations(ids, h, bus)
	return h, nil
}

// provideSSE builds the SSE transport. Its tickets are signed with a key derived from
// JWT_SECRET (so every instance accepts every instance's tickets; a random key when it is
// generated) and their use is recorded in the database, so each is used once across instances.
func provideSSE(cfg config.Config, h *realtime.Hub, used realtime.Redemptions) *realtime.Events {
	var key []byte
	if len(cfg.JWTSecret) > 0 {
		m := hmac.New(sha256.New, cfg.JWTSecret)
		m.Write([]byte("workspaceops/sse-ticket/v1")) // its own key: a ticket is never a valid JWT signature
		key = m.Sum(nil)
	}
	return realtime.NewEvents(h, realtime.TicketConfig{Key: key, Redemptions: used})
}

// revocationBus is a bus that also relays token revocations between instances (natsbus).
type revocationBus interface {
	AnnounceRevocation(userID string, generation int64)
	OnRevocation(func(userID string, generation int64))
}

// relayRevocations closes a user's sockets here when they sign out everywhere or change their
// password here, and, with several instances, tells the others, which refuse the tokens at once
// and close the user's sockets too.
func relayRevocations(ids *identity.Service, h *realtime.Hub, bus realtime.Bus) {
	rb, relays := bus.(revocationBus)
	ids.OnRevoke(func(uid string, gen int64) {
		h.Revoke(uid, gen)
		if relays {
			rb.AnnounceRevocation(uid, gen)
		}
	})
	if relays {
		rb.OnRevocation(func(uid string, gen int64) {
			ids.RevokedElsewhere(uid, gen)
			h.Revoke(uid, gen)
		})
	}
}

func provideWorkItemService(repo workitem.Repository, az authz.Authorizer, members workitem.MemberChecker, docs workitem.DocumentLookup,
	ev events.Publisher, c clock.Clock, log *slog.Logger) (*workitem.Service, error) {
	return workitem.NewService(workitem.Deps{Repo: repo, Authz: az, Members: members, Documents: docs, Events: ev, Clock: c, Log: log})
}

func provideDocumentService(repo document.Repository, blobs document.BlobStore, links document.LinkRemover, az authz.Authorizer,
	ev events.Publisher, c clock.Clock, cfg config.Config, log *slog.Logger) (*document.Service, error) {
	return document.NewService(document.Deps{
		Repo: repo, Blobs: blobs, Links: links, Authz: az, Events: ev, Clock: c, Log: log,
		MaxSize: cfg.MaxUploadBytes, ExpiringWindow: cfg.ExpiringWindow,
	})
}

func provideOverviewService(az authz.Authorizer, wi bridge.WorkItemFigures, docs bridge.DocumentFigures, members *workspace.Service, activity bridge.Activity) (*overview.Service, error) {
	return overview.NewService(az, wi, docs, members, activity)
}

func provideWorkspaceService(repo workspace.Repository, users workspace.UserDirectory, purger workspace.ContentPurger, ev events.Publisher,
	c clock.Clock, cfg config.Config, log *slog.Logger) (*workspace.Service, error) {
	return workspace.NewService(workspace.Deps{Repo: repo, Users: users, Purger: purger, Events: ev, Clock: c, Log: log, InvitationTTL: cfg.InvitationTTL})
}

func provideIdentityService(users identity.Repository, h identity.PasswordHasher, tokens identity.Tokens, th identity.Throttles,
	listener identity.RegistrationListener, ev events.Publisher, c clock.Clock, log *slog.Logger) (*identity.Service, error) {
	return identity.NewService(identity.Deps{Users: users, Hasher: h, Tokens: tokens, Throttles: th, Listener: listener, Events: ev, Clock: c, Log: log})
}

func provideRouter(cfg config.Config, s httpapi.Services, ready httpapi.ReadinessCheck, rt *realtime.Hub, ws *realtime.WebSocket,
	sse *realtime.Events, log *slog.Logger) (http.Handler, error) {
	h, err := httpapi.NewRouter(httpapi.Config{
		AllowedOrigins: cfg.AllowedOrigins, TrustedProxies: cfg.TrustedProxies,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes,
		Realtime: httpapi.Realtime{
			WebSocket: ws, Events: sse, IssueTicket: sse.IssueTicket,
			Ready: rt.Ready,
		},
	}, s, ready, log)
	if err != nil {
		return nil, err
	}
	return httpapi.HeadAsGet(h), nil
}
