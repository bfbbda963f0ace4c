package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	apispec "github.com/workspaceops/workspaceops/api"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/observe"
	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

// Config is the transport configuration.
type Config struct {
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed to call the API.
	AllowedOrigins []string
	// TrustedProxies are the addresses whose X-Forwarded-For is believed; none by default, so
	// a client cannot pick the address its login attempts are throttled under.
	TrustedProxies []string
	// MaxBodyBytes caps every request body but uploads.
	MaxBodyBytes int64
	// MaxUploadBytes caps an uploaded file.
	MaxUploadBytes int64
	// Realtime is the realtime adapter's part of the router; its zero value answers those
	// routes with 404 route_not_found.
	Realtime Realtime
	// RateLimit limits authenticated requests per API key or user; the zero Rate is off.
	// RateLimited counts the requests it refuses (nil: not counted).
	RateLimit   ratelimit.Rate
	RateLimited observe.Counter
	// Tracer opens each request's server span (nil: none); Requests counts and times them
	// (nil: not recorded). See observeRequests.
	Tracer   observe.Tracer
	Requests RequestObserver
}

// Realtime is what the realtime adapter (adapters/realtime) hands the router: its two
// streaming endpoints and the issuer of SSE tickets for a verified bearer token.
type Realtime struct {
	WebSocket   http.Handler // GET /ws
	Events      http.Handler // GET /events
	IssueTicket func(ctx context.Context, token string) (ticket string, expiresAt time.Time, err error)
	// Ready reports whether this instance hears about changes made through the others (its
	// event bus is up); nil when there is nothing to check.
	Ready ReadinessCheck
}

// NewHandler returns the router as the server serves it: with the realtime endpoints rt (the
// router does not import that adapter; cmd/workspaceops hands them over), and HEAD answered
// wherever GET is.
func NewHandler(cfg Config, rt Realtime, s Services, ready ReadinessCheck, log *slog.Logger) (http.Handler, error) {
	cfg.Realtime = rt
	h, err := NewRouter(cfg, s, ready, log)
	if err != nil {
		return nil, err
	}
	return headAsGet(h), nil
}

const uploadRoute = "/api/v1/workspaces/:wid/documents"

// ReadinessCheck reports whether a dependency the service needs is reachable.
type ReadinessCheck func(ctx context.Context) error

// Services are the use cases the handlers call: never repositories.
type Services struct {
	Identity   *identity.Service
	Workspaces *workspace.Service
	WorkItems  *workitem.Service
	Documents  *document.Service
	Overview   *overview.Service
	AuditLog   *auditlog.Service
	Webhooks   *webhook.Service
	APIKeys    *apikey.Service
	// Idempotency keeps the answers of POSTs sent with an Idempotency-Key.
	Idempotency *idempotency.Keeper
	// Credentials verifies bearer tokens and API keys alike.
	Credentials Authenticator
}

// Authenticator verifies what a request presents (a user's token or an API key) and says who
// it speaks for; cmd/workspaceops joins the identity and apikey modules into one.
type Authenticator interface {
	Verify(ctx context.Context, token string) (identity.Principal, error)
}

// API holds what the handlers call.
type API struct {
	identity    *identity.Service
	workspaces  *workspace.Service
	workItems   *workitem.Service
	documents   *document.Service
	overview    *overview.Service
	auditLog    *auditlog.Service
	apiKeys     *apikey.Service
	webhooks    *webhook.Service
	idempotency *idempotency.Keeper
	credentials Authenticator
	realtime    Realtime
	ready       ReadinessCheck
	log         *slog.Logger
}

// NewRouter returns the HTTP handler serving the REST API, its OpenAPI document and the
// health endpoints.
func NewRouter(cfg Config, s Services, ready ReadinessCheck, log *slog.Logger) (http.Handler, error) {
	if s.Identity == nil || s.Workspaces == nil || s.WorkItems == nil || s.Documents == nil || s.Overview == nil || s.AuditLog == nil ||
		s.APIKeys == nil || s.Idempotency == nil || s.Credentials == nil || s.Webhooks == nil || ready == nil || log == nil {
		return nil, errors.New("httpapi: all dependencies are required")
	}
	if cfg.MaxBodyBytes <= 0 || cfg.MaxUploadBytes <= 0 {
		return nil, errors.New("httpapi: MaxBodyBytes and MaxUploadBytes must be positive")
	}
	api := &API{identity: s.Identity, workspaces: s.Workspaces, workItems: s.WorkItems, documents: s.Documents, overview: s.Overview, auditLog: s.AuditLog,
		apiKeys: s.APIKeys, webhooks: s.Webhooks, idempotency: s.Idempotency, credentials: s.Credentials, realtime: cfg.Realtime, ready: ready, log: log}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	r.Use(requestID(), observeRequests(cfg.Tracer, cfg.Requests), limitHeaders(), recoverPanics(log), accessLog(log), cors(log, cfg.AllowedOrigins), limitBody(cfg.MaxBodyBytes, map[string]int64{uploadRoute: cfg.MaxUploadBytes + multipartOverhead}))
	r.NoRoute(func(c *gin.Context) { abortWithError(c, log, errRouteNotFound) })
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, http.StatusMethodNotAllowed, "method_not_allowed", "this route does not accept "+c.Request.Method)
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", api.readyz)
	r.GET("/readyz/realtime", api.readyzRealtime)
	r.GET("/", index)
	r.GET("/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", apispec.OpenAPI) })
	r.GET("/asyncapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", apispec.AsyncAPI) })
	r.GET(RealtimeClientPath, serveRealtimeClient)
	r.GET("/ws", api.realtimeHandler(cfg.Realtime.WebSocket))
	r.GET("/events", api.realtimeHandler(cfg.Realtime.Events))

	v1 := r.Group("/api/v1")
	v1.POST("/auth/register", api.register)
	v1.POST("/auth/login", api.login)

	// Every authenticated request counts against its key or user; routes that speak for a
	// person (their account, their workspaces, the keys they hold) refuse API keys.
	authed := v1.Group("", api.authenticate)
	if !cfg.RateLimit.Off() {
		authed.Use(api.limitRate(ratelimit.NewBuckets(cfg.RateLimit, clock.System{}), cfg.RateLimited))
	}
	authed.POST("/auth/refresh", usersOnly, api.refresh)
	authed.POST("/auth/logout-all", usersOnly, api.logoutAll)
	authed.POST("/auth/password", usersOnly, api.changePassword)
	authed.GET("/me", usersOnly, api.me)
	authed.POST("/realtime/tickets", api.issueTicket)

	authed.POST("/workspaces", usersOnly, api.idempotent, api.createWorkspace)
	authed.GET("/workspaces", usersOnly, api.listWorkspaces)
	ws1 := authed.Group("/workspaces/:wid", validIDs(log, "wid", "uid", "iid", "id", "docId", "deliveryId"))
	ws1.GET("", api.getWorkspace)
	ws1.PATCH("", api.updateWorkspace)
	ws1.DELETE("", api.deleteWorkspace)
	ws1.GET("/members", api.listMembers)
	ws1.POST("/members", api.idempotent, api.inviteMember)
	ws1.PATCH("/members/:uid", api.changeMemberRole)
	ws1.DELETE("/members/:uid", api.removeMember)
	ws1.DELETE("/invitations/:iid", api.revokeInvitation)
	ws1.GET("/overview", api.getOverview)
	ws1.GET("/audit-log", api.listAuditLog)

	ws1.POST("/api-keys", usersOnly, api.idempotent, api.createAPIKey)
	ws1.GET("/api-keys", usersOnly, api.listAPIKeys)
	ws1.DELETE("/api-keys/:id", usersOnly, api.revokeAPIKey)

	ws1.POST("/work-items", api.idempotent, api.createWorkItem)
	ws1.GET("/work-items", api.listWorkItems)
	ws1.GET("/work-items/:id", api.getWorkItem)
	ws1.PATCH("/work-items/:id", api.updateWorkItem)
	ws1.DELETE("/work-items/:id", api.deleteWorkItem)
	ws1.PATCH("/work-items/:id/status", api.changeWorkItemStatus)
	ws1.PUT("/work-items/:id/documents/:docId", api.linkDocument)
	ws1.DELETE("/work-items/:id/documents/:docId", api.unlinkDocument)

	ws1.POST("/documents", api.idempotent, api.uploadDocument)
	ws1.GET("/documents", api.listDocuments)
	ws1.GET("/documents/:id", api.getDocument)
	ws1.GET("/documents/:id/content", api.downloadDocument)
	ws1.PATCH("/documents/:id", api.updateDocument)
	ws1.DELETE("/documents/:id", api.deleteDocument)

	ws1.POST("/webhooks", api.idempotent, api.createWebhook)
	ws1.GET("/webhooks", api.listWebhooks)
	ws1.GET("/webhooks/:id", api.getWebhook)
	ws1.PATCH("/webhooks/:id", api.updateWebhook)
	ws1.DELETE("/webhooks/:id", api.deleteWebhook)
	ws1.GET("/webhooks/:id/deliveries", api.listWebhookDeliveries)
	ws1.POST("/webhooks/:id/deliveries/:deliveryId/redeliver", api.redeliverWebhook)
	ws1.POST("/webhooks/:id/replay", api.replayWebhook)
	return r, nil
}

// headAsGet answers HEAD wherever GET is answered (curl -I /healthz): the request is routed as
// a GET, and net/http, which knows the request was a HEAD, sends the head without the body. The
// realtime endpoints, which take the connection over, stay GET only.
func headAsGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && r.URL.Path != "/ws" && r.URL.Path != "/events" {
			get := r.Clone(r.Context())
			get.Method = http.MethodGet
			h.ServeHTTP(w, get)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// index answers GET / with where everything is, so that a first visit finds its way.
func index(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{
		"name": "WorkspaceOps",
		"links": gin.H{
			"openapi":        "/openapi.yaml",
			"asyncapi":       "/asyncapi.yaml",
			"realtimeClient": RealtimeClientPath,
			"websocket":      "/ws",
			"events":         "/events",
			"health":         "/healthz",
			"ready":          "/readyz",
		},
	})
}

// RealtimeClientPath is the stable URL of the browser client of the realtime protocol
// (api/client/workspaceops-realtime.js, an ES module).
const RealtimeClientPath = "/client/workspaceops-realtime.js"

// realtimeClientETag is the quoted hex SHA-256 of the client: browsers revalidate (no-cache)
// and get 304 until a deploy changes the file.
var realtimeClientETag = func() string {
	sum := sha256.Sum256(apispec.RealtimeClient)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}()

// serveRealtimeClient answers GET /client/workspaceops-realtime.js. Cross-origin module imports
// need CORS, which the cors middleware already answers for the allowed origins.
func serveRealtimeClient(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("ETag", realtimeClientETag)
	h.Set("Cache-Control", "no-cache")
	for _, tag := range strings.Split(c.GetHeader("If-None-Match"), ",") {
		if t := strings.TrimSpace(tag); t == realtimeClientETag || t == "W/"+realtimeClientETag || t == "*" {
			c.Status(http.StatusNotModified)
			return
		}
	}
	h.Set("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", apispec.RealtimeClient)
}

// readyz answers 200 when the database answers within two seconds (REST can serve), 503
// otherwise. The body also says whether realtime is ready: an instance whose event bus is down
// still serves REST, so it stays in the load balancer; /readyz/realtime is the realtime check.
func (a *API) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.ready(ctx); err != nil {
		a.log.WarnContext(ctx, "not ready", slog.Any("error", err))
		abortWithError(c, a.log, errUnavailable.WithMessage("the database is not reachable"))
		return
	}
	realtime := "ready"
	if a.realtimeReady(ctx) != nil {
		realtime = "not_ready"
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": gin.H{"database": "ready", "realtime": realtime}})
}

// readyzRealtime answers 200 when realtime events from every instance reach this one, 503
// otherwise (its clients still get them, later, from the audit log).
func (a *API) readyzRealtime(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.realtimeReady(ctx); err != nil {
		abortWithError(c, a.log, errUnavailable.WithMessage("realtime events from other instances are not arriving; clients catch up from the audit log"))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

func (a *API) realtimeReady(ctx context.Context) error {
	if a.realtime.Ready == nil {
		return nil
	}
	err := a.realtime.Ready(ctx)
	if err != nil {
		// Debug: probes ask every few seconds, and the bus logs its own outages once.
		a.log.DebugContext(ctx, "realtime not ready", slog.Any("error", err))
	}
	return err
}

// realtimeHandler serves a realtime endpoint, or 404 when no realtime layer is wired.
func (a *API) realtimeHandler(h http.Handler) gin.HandlerFunc {
	if h == nil {
		return func(c *gin.Context) { abortWithError(c, a.log, errRouteNotFound) }
	}
	return gin.WrapH(h)
}

// issueTicket answers POST /api/v1/realtime/tickets: a single-use ticket for GET /events.
func (a *API) issueTicket(c *gin.Context) {
	if a.realtime.IssueTicket == nil {
		abortWithError(c, a.log, errRouteNotFound)
		return
	}
	tok, _ := credential(c)
	ticket, exp, err := a.realtime.IssueTicket(c.Request.Context(), tok)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"ticket": ticket, "expiresAt": exp.UTC()})
}

// authenticate admits requests with a valid bearer token or API key and records who it speaks
// for.
func (a *API) authenticate(c *gin.Context) {
	tok, ok := credential(c)
	if !ok {
		abortWithError(c, a.log, errMissingToken)
		return
	}
	p, err := a.credentials.Verify(c.Request.Context(), tok)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Set(ctxPrincipal, p)
	c.Next()
}

const ctxPrincipal = "wso.principal"

func principal(c *gin.Context) identity.Principal {
	p, _ := c.Get(ctxPrincipal)
	return p.(identity.Principal) // set by authenticate on every route that reads it
}

// userID is the acting principal's id: a user's, or an API key's actor id.
func userID(c *gin.Context) string { return principal(c).UserID }

var errUserOnly = apperr.New(apperr.Forbidden, "user_token_required",
	"this route acts for a person (their account, workspaces or API keys); an API key acts only inside its workspace")

// usersOnly refuses API keys on the routes that speak for a person rather than in a workspace.
func usersOnly(c *gin.Context) {
	if principal(c).IsKey() {
		answer(c, errUserOnly)
		return
	}
	c.Next()
}
