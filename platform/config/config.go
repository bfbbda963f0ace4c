// Package config reads the service's configuration from environment variables, each with a
// documented default, and validates it once at start-up.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

// Config is the whole configuration of a WorkspaceOps process.
type Config struct {
	Addr            string         // WSO_ADDR
	MongoURI        string         // MONGO_URI; empty runs the embedded SQLite store
	MongoDatabase   string         // WSO_MONGO_DATABASE
	DataDir         string         // WSO_DATA_DIR: the embedded store's database and lock file
	JWTSecret       []byte         // JWT_SECRET
	TokenTTL        time.Duration  // WSO_TOKEN_TTL
	AllowedOrigins  []string       // WSO_ALLOWED_ORIGINS
	TrustedProxies  []string       // WSO_TRUSTED_PROXIES
	LogLevel        string         // WSO_LOG_LEVEL
	LogFormat       string         // WSO_LOG_FORMAT
	InvitationTTL   time.Duration  // WSO_INVITATION_TTL
	MaxBodyBytes    int64          // WSO_MAX_BODY_BYTES
	ShutdownTimeout time.Duration  // WSO_SHUTDOWN_TIMEOUT
	LoginMaxFails   int            // WSO_LOGIN_MAX_FAILURES: per email per window; per address it is 4×
	LoginWindow     time.Duration  // WSO_LOGIN_WINDOW
	MaxUploadBytes  int64          // WSO_MAX_UPLOAD_BYTES
	ExpiringWindow  time.Duration  // WSO_EXPIRING_SOON_WINDOW
	SweepInterval   time.Duration  // WSO_EXPIRY_SWEEP_INTERVAL
	OverviewWindow  time.Duration  // WSO_OVERVIEW_COALESCE
	WSPingInterval  time.Duration  // WSO_WS_PING_INTERVAL
	WSDrain         time.Duration  // WSO_WS_DRAIN
	WSQueueSize     int            // WSO_WS_QUEUE_SIZE
	WSSendBuffer    int            // WSO_WS_SEND_BUFFER
	WSMaxConnsUser  int            // WSO_WS_MAX_CONNS_PER_USER
	ReplayLimit     int            // WSO_REPLAY_LIMIT
	DebugAddr       string         // WSO_DEBUG_ADDR: pprof, loopback only; empty = off
	NATSURL         string         // WSO_NATS_URL: empty keeps the realtime bus in-process
	NATSSubject     string         // WSO_NATS_SUBJECT: the prefix of the per-workspace subjects
	NATSPoll        time.Duration  // WSO_NATS_POLL: while NATS is unreachable, how often rooms re-read the log
	RateLimit       ratelimit.Rate // WSO_RATE_LIMIT: authenticated REST requests per key or user; zero is off
	MetricsAddr     string         // WSO_METRICS_ADDR: Prometheus /metrics; "" when turned off ("off")
	// MetricsOptional: WSO_METRICS_ADDR was not set, so a default port another process on the
	// host already holds (a second instance) leaves this one without metrics, with a warning,
	// rather than refusing to start.
	MetricsOptional bool
	OTLPEndpoint    string // OTEL_EXPORTER_OTLP_ENDPOINT: traces exported there; "" = no tracing

	WebhookRetry        []time.Duration // WSO_WEBHOOK_RETRY: the wait before each retry of a failed delivery
	WebhookAllowHTTP    bool            // WSO_WEBHOOK_ALLOW_HTTP
	WebhookAllowedHosts []string        // WSO_WEBHOOK_ALLOWED_HOSTS: reachable whatever they resolve to
	WebhookLease        time.Duration   // WSO_WEBHOOK_LEASE
	WebhookPoll         time.Duration   // WSO_WEBHOOK_POLL
	WebhookMax          int             // WSO_WEBHOOK_MAX_PER_WORKSPACE
}

// Var documents one environment variable.
type Var struct{ Name, Default, Meaning string }

// Vars lists every variable the service reads, with its default; the README's table matches it.
var Vars = []Var{
	{"WSO_ADDR", "127.0.0.1:4000", "address the HTTP server listens on"},
	{"MONGO_URI", "", "MongoDB connection string; empty keeps the data in the embedded SQLite store"},
	{"WSO_MONGO_DATABASE", "workspaceops", "database name"},
	{"WSO_DATA_DIR", "./data", "directory of the embedded store: `workspaceops.db` (with its `-wal` and `-shm` files) and `workspaceops.lock`; one process at a time"},
	{"JWT_SECRET", "", "HMAC secret for tokens, at least 32 bytes; required with MONGO_URI, generated per run otherwise"},
	{"WSO_TOKEN_TTL", "1h", "lifetime of an access token (refresh before it ends)"},
	{"WSO_ALLOWED_ORIGINS", "http://localhost:3000", "comma-separated browser origins allowed by CORS and WebSocket handshakes, besides the server's own"},
	{"WSO_TRUSTED_PROXIES", "", "comma-separated proxy addresses/CIDRs whose X-Forwarded-For is trusted"},
	{"WSO_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"WSO_LOG_FORMAT", "json", "json or text"},
	{"WSO_INVITATION_TTL", "168h", "how long a pending invitation stays acceptable"},
	{"WSO_MAX_BODY_BYTES", "1048576", "largest accepted JSON request body"},
	{"WSO_SHUTDOWN_TIMEOUT", "15s", "how long shutdown waits for in-flight requests"},
	{"WSO_LOGIN_MAX_FAILURES", "5", "failed logins per email per window before 429 (per client address: 4×)"},
	{"WSO_LOGIN_WINDOW", "15m", "the login throttling window"},
	{"WSO_MAX_UPLOAD_BYTES", "26214400", "largest accepted document upload (25 MiB)"},
	{"WSO_EXPIRING_SOON_WINDOW", "72h", "a document is EXPIRING_SOON this long before it expires"},
	{"WSO_EXPIRY_SWEEP_INTERVAL", "1m", "how often the expiry sweeper moves documents between expiry statuses"},
	{"WSO_OVERVIEW_COALESCE", "1s", "at most one overview:updated per workspace per this window"},
	{"WSO_WS_PING_INTERVAL", "25s", "how often the server pings WebSockets (and writes an SSE comment); a peer silent for the next interval is dropped"},
	{"WSO_WS_DRAIN", "5s", "at shutdown, after REST drained, sockets are closed (1001) in batches spread over this period"},
	{"WSO_WS_QUEUE_SIZE", "256", "outgoing frames queued per connection; a client that lets it fill by not reading is closed with 4008"},
	{"WSO_WS_SEND_BUFFER", "65536", "kernel send buffer per WebSocket or SSE stream, in bytes: bounds memory per connection and how much a stalled client absorbs"},
	{"WSO_WS_MAX_CONNS_PER_USER", "20", "WebSocket connections and SSE streams one user may hold at once"},
	{"WSO_REPLAY_LIMIT", "1000", "most events a resuming join replays from the audit log; beyond it the client gets resync"},
	{"WSO_DEBUG_ADDR", "", "loopback address for Go's pprof profiles (e.g. 127.0.0.1:6060); empty turns it off"},
	{"WSO_NATS_URL", "", "NATS server(s) (nats://host:4222, comma-separated; tls:// for TLS; credentials in the URL) carrying realtime events between instances; empty keeps them in-process (one instance)"},
	{"WSO_NATS_SUBJECT", "workspaceops.audit", "subject prefix: entries go to <prefix>.<workspaceId>; give each deployment sharing a NATS its own"},
	{"WSO_NATS_POLL", "2s", "while NATS is unreachable, how often each instance re-reads the audit log of the workspaces its clients joined"},
	{"WSO_RATE_LIMIT", "600/min", "authenticated REST requests per API key or user, per instance, with a burst of the same size (`600/min`, `10/s`, `36000/h`); `off` or `0` turns limiting off"},
	{"WSO_WEBHOOK_RETRY", "30s,2m,10m,30m,1h", "comma-separated waits before each retry of a failed webhook delivery (each up to a fifth longer, at random); after the last retry fails the webhook is deactivated"},
	{"WSO_WEBHOOK_ALLOW_HTTP", "false", "`true` accepts `http://` webhook URLs besides `https://` (local receivers, tests)"},
	{"WSO_WEBHOOK_ALLOWED_HOSTS", "", "comma-separated host names or IP addresses webhooks may reach although they resolve to loopback, private, link-local or other internal addresses"},
	{"WSO_WEBHOOK_LEASE", "30s", "how long an instance keeps delivering a webhook after it last renewed its lease; another instance takes over once it expires"},
	{"WSO_WEBHOOK_POLL", "5s", "how often each instance looks at every active webhook (entries appended by other instances, retries come due)"},
	{"WSO_WEBHOOK_MAX_PER_WORKSPACE", "20", "most webhooks one workspace may have"},
	{"WSO_METRICS_ADDR", "127.0.0.1:9464", "address of the Prometheus metrics listener (`GET /metrics`), apart from the API's; `off` turns it off. Left unset, a default port already taken (another instance on the host) starts the server without metrics and logs a warning; set, it must be free"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OpenTelemetry collector base URL (OTLP/HTTP, e.g. http://collector:4318): traces are exported there, with the other standard `OTEL_*` variables honoured; empty: no tracing"},
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	dur := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: want a positive duration such as 15m", name))
		}
		return d
	}
	integer := func(name string) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s: want a positive integer", name))
		}
		return n
	}
	c := Config{
		Addr:            get("WSO_ADDR"),
		MongoURI:        get("MONGO_URI"),
		MongoDatabase:   get("WSO_MONGO_DATABASE"),
		DataDir:         get("WSO_DATA_DIR"),
		JWTSecret:       []byte(getenv("JWT_SECRET")),
		TokenTTL:        dur("WSO_TOKEN_TTL"),
		AllowedOrigins:  list(get("WSO_ALLOWED_ORIGINS")),
		TrustedProxies:  list(get("WSO_TRUSTED_PROXIES")),
		LogLevel:        get("WSO_LOG_LEVEL"),
		LogFormat:       get("WSO_LOG_FORMAT"),
		InvitationTTL:   dur("WSO_INVITATION_TTL"),
		MaxBodyBytes:    integer("WSO_MAX_BODY_BYTES"),
		ShutdownTimeout: dur("WSO_SHUTDOWN_TIMEOUT"),
		LoginMaxFails:   int(integer("WSO_LOGIN_MAX_FAILURES")),
		LoginWindow:     dur("WSO_LOGIN_WINDOW"),
		MaxUploadBytes:  integer("WSO_MAX_UPLOAD_BYTES"),
		ExpiringWindow:  dur("WSO_EXPIRING_SOON_WINDOW"),
		SweepInterval:   dur("WSO_EXPIRY_SWEEP_INTERVAL"),
		OverviewWindow:  dur("WSO_OVERVIEW_COALESCE"),
		WSPingInterval:  dur("WSO_WS_PING_INTERVAL"),
		WSDrain:         dur("WSO_WS_DRAIN"),
		WSQueueSize:     int(integer("WSO_WS_QUEUE_SIZE")),
		WSSendBuffer:    int(integer("WSO_WS_SEND_BUFFER")),
		WSMaxConnsUser:  int(integer("WSO_WS_MAX_CONNS_PER_USER")),
		ReplayLimit:     int(integer("WSO_REPLAY_LIMIT")),
		DebugAddr:       get("WSO_DEBUG_ADDR"),
		NATSURL:         get("WSO_NATS_URL"),
		NATSSubject:     get("WSO_NATS_SUBJECT"),
		NATSPoll:        dur("WSO_NATS_POLL"),
		MetricsAddr:     get("WSO_METRICS_ADDR"),
		MetricsOptional: strings.TrimSpace(getenv("WSO_METRICS_ADDR")) == "",
		OTLPEndpoint:    get("OTEL_EXPORTER_OTLP_ENDPOINT"),

		WebhookAllowedHosts: list(get("WSO_WEBHOOK_ALLOWED_HOSTS")),
		WebhookLease:        dur("WSO_WEBHOOK_LEASE"),
		WebhookPoll:         dur("WSO_WEBHOOK_POLL"),
		WebhookMax:          int(integer("WSO_WEBHOOK_MAX_PER_WORKSPACE")),
	}
	if strings.EqualFold(c.MetricsAddr, "off") {
		c.MetricsAddr = ""
	} else if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		errs = append(errs, fmt.Errorf("WSO_METRICS_ADDR: want host:port or off: %w", err))
	}
	if c.OTLPEndpoint != "" {
		if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("OTEL_EXPORTER_OTLP_ENDPOINT: want an http:// or https:// URL"))
		}
	}
	for _, part := range list(get("WSO_WEBHOOK_RETRY")) {
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			errs = append(errs, errors.New("WSO_WEBHOOK_RETRY: want positive durations separated by commas, such as 30s,2m,10m"))
			break
		}
		c.WebhookRetry = append(c.WebhookRetry, d)
	}
	if len(c.WebhookRetry) > 20 {
		errs = append(errs, errors.New("WSO_WEBHOOK_RETRY: at most 20 retries"))
	}
	switch v := strings.ToLower(get("WSO_WEBHOOK_ALLOW_HTTP")); v {
	case "true", "false":
		c.WebhookAllowHTTP = v == "true"
	default:
		errs = append(errs, errors.New("WSO_WEBHOOK_ALLOW_HTTP: want true or false"))
	}
	var err error
	if c.RateLimit, err = ratelimit.ParseRate(get("WSO_RATE_LIMIT")); err != nil {
		errs = append(errs, fmt.Errorf("WSO_RATE_LIMIT: %w", err))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("WSO_ADDR: %w", err))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("WSO_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	switch strings.ToLower(c.LogFormat) {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("WSO_LOG_FORMAT: %q is not json or text", c.LogFormat))
	}
	if c.DebugAddr != "" {
		// Profiles reveal internals: they are served on loopback only, never next to the API.
		host, _, err := net.SplitHostPort(c.DebugAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			errs = append(errs, errors.New("WSO_DEBUG_ADDR: must be a loopback address such as 127.0.0.1:6060"))
		}
	}
	for _, s := range list(c.NATSURL) {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			errs = append(errs, errors.New("WSO_NATS_URL: want nats://host:port or tls://host:port, comma-separated"))
			break // the value may hold credentials: never echo it
		}
	}
	if !validSubject(c.NATSSubject) {
		errs = append(errs, fmt.Errorf("WSO_NATS_SUBJECT: %q is not a NATS subject prefix such as workspaceops.audit", c.NATSSubject))
	}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			errs = append(errs, errors.New("WSO_ALLOWED_ORIGINS: list origins explicitly; * is not accepted"))
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("WSO_ALLOWED_ORIGINS: %q is not an origin like https://app.example.com", o))
		}
	}
	if len(c.JWTSecret) > 0 && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("JWT_SECRET: must be at least 32 bytes"))
	}
	if len(c.JWTSecret) == 0 && c.MongoURI != "" {
		errs = append(errs, errors.New("JWT_SECRET: required when MONGO_URI points at a real database"))
	}
	return c, errors.Join(errs...)
}

func list(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimRight(strings.TrimSpace(part), "/"); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// validSubject accepts dot-separated tokens of letters, digits, '-' and '_' (no wildcards).
func validSubject(s string) bool {
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || strings.TrimFunc(tok, func(r rune) bool {
			return r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		}) != "" {
			return false
		}
	}
	return true
}
