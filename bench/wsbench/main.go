// Command wsbench is the load generator of the realtime layer: real protocol v1 WebSocket
// clients (and SSE streams) against a running WorkspaceOps server on loopback.
//
// It registers users, creates workspaces, members and work items through the REST API, then
// runs the selected workloads one after the other and prints one JSON line per workload on
// stdout, then a readable table:
//
//	idle      N connections spread over 100 workspaces, authenticated and joined; connect
//	          rate, server RSS (VmRSS of -pid) and KB per connection
//	fanout    N subscribers in one workspace; R work-item status flips per second through REST;
//	          end-to-end latency (just before the REST call -> each delivery) and delivered/expected
//	fanout-wide  the same with -wide-subs subscribers spread over -wide-workspaces workspaces and
//	          -wide-rate changes/s spread over them too (each reaches one workspace's subscribers)
//	saturate  N subscribers in one workspace; status flips as fast as the server accepts them for
//	          D seconds; deliveries/s and losses (seq gaps, evictions)
//	churn     N clients that disconnect and reconnect at random, resuming with since, while
//	          changes flow; events lost (must be 0) and duplicates
//	rest      one workspace seeded over REST to each of -rest-sizes work items in turn; at each
//	          size, K concurrent clients: requests/s and latency of a list page, a get, a status
//	          change, the overview and a 1 MiB upload (restload.go)
//
// A workload name with the suffix "-sse" (fanout-sse, idle-sse, ...) runs it over the SSE
// fallback (GET /events with a ticket) instead of WebSockets, with -sse-subs clients.
//
// -target socketio runs idle, fanout, fanout-wide and saturate against the Socket.io reference
// server of bench/wsbench/reference instead, through the same workload, timing and statistics
// code: the clients speak Socket.IO v5 over Engine.IO v4's websocket transport (sio.go), wsbench signs
// their HS256 tokens itself with $JWT_SECRET (the secret the reference verifies), joins are
// `join` events with an ack, and each change is a POST /broadcast to the workspace's room, so
// latencies there are broadcast-only.
//
// -target centrifugo runs the same four against Centrifugo v6 (centrifugo.go: its JSON protocol
// over /connection/websocket): tokens are HS256 JWTs signed with $JWT_SECRET (its
// client.token.hmac_secret_key), each client connects and subscribes to workspace:<id> (a
// namespace any connected user may subscribe to), and each change is a POST /api/publish with
// $CF_API_KEY whose data is a protocol v1 event frame numbered by wsbench (backend.go).
//
// `wsbench compare -ours A.json -ref B.json [-cf C.json]` reads the -json reports (ours, the
// Socket.io reference's, Centrifugo's) and writes the ratios of their figures (compare.go);
// `make bench-compare` runs all three and it.
//
// Everything is bounded: servers must be on loopback, client counts and durations are capped,
// and the whole run ends after -timeout. -json and -md write the report files; `make bench`
// starts a server pinned to one core and runs this on the other.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds: a load generator that ships with the project must not become a weapon or a hog.
const (
	maxConns    = 20000
	maxDuration = 10 * time.Minute
	maxRate     = 2000
)

// config is every flag.
type config struct {
	urls      []*url.URL
	pids      []int
	workloads []string
	runID     string
	note      string
	jsonOut   string
	mdOut     string
	timeout   time.Duration
	waitReady time.Duration

	connsPerUser    int
	dialConcurrency int
	regConcurrency  int
	drain           time.Duration
	settle          time.Duration

	idleConns      int
	idleWorkspaces int

	fanoutSubs     int
	fanoutRate     float64
	fanoutDuration time.Duration
	fanoutItems    int
	wideSubs       int
	wideWorkspaces int
	wideRate       float64

	saturateSubs     int
	saturateDuration time.Duration
	saturateWriters  int

	churnClients  int
	churnDuration time.Duration
	churnRate     float64
	churnUptime   time.Duration

	restClients  int
	restDuration time.Duration
	restSizes    []int

	sseSubs int
	batch   bool // v1 WebSockets ask for batched messages at auth

	seedUsers, seedWorkspaces, seedMembers, seedItems int // the dataset made before the workloads (seed.go)

	target    string // targetV1, targetSocketIO or targetCentrifugo
	refSecret []byte // targetSocketIO, targetCentrifugo: the HS256 secret the reference verifies
	cfAPIKey  string // targetCentrifugo: the key of its server HTTP API
}

// Servers wsbench can load.
const (
	targetV1         = "v1"         // WorkspaceOps, realtime protocol v1
	targetSocketIO   = "socketio"   // the Socket.io reference of bench/wsbench/reference
	targetCentrifugo = "centrifugo" // Centrifugo v6, as make bench-compare configures it
)

// reference says whether the target is a reference server (not WorkspaceOps).
func (c *config) reference() bool { return c.target != targetV1 }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "compare" {
		return runCompare(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "wsbench: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	b := newBench(cfg, stderr)
	if err := b.prepare(ctx); err != nil {
		fmt.Fprintf(stderr, "wsbench: %v\n", err)
		return 1
	}
	if b.dataset, err = b.seed(ctx); err != nil {
		fmt.Fprintf(stderr, "wsbench: seed: %v\n", err)
		return 1
	}
	var results []*result
	failed := false
	for _, w := range cfg.workloads {
		res, err := b.runWorkload(ctx, w)
		if err != nil {
			fmt.Fprintf(stderr, "wsbench: %s: %v\n", w, err)
			failed = true
			if ctx.Err() != nil {
				break
			}
			continue
		}
		line, _ := res.MarshalJSON()
		fmt.Fprintln(stdout, string(line))
		results = append(results, res)
		b.pause(ctx) // let the server drop the previous workload's connections
	}
	fmt.Fprintln(stdout)
	writeTable(stdout, results)
	rep := newReport(cfg, b, results)
	if cfg.jsonOut != "" {
		if err := writeFileAtomic(cfg.jsonOut, rep.json()); err != nil {
			fmt.Fprintf(stderr, "wsbench: %v\n", err)
			failed = true
		}
	}
	if cfg.mdOut != "" {
		if err := writeFileAtomic(cfg.mdOut, []byte(rep.markdown())); err != nil {
			fmt.Fprintf(stderr, "wsbench: %v\n", err)
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("wsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var urls, pids, workloads, restSizes string
	c := &config{}
	fs.StringVar(&urls, "url", "http://127.0.0.1:4000", "server base URL(s), comma-separated (loopback only); clients are spread over them, REST setup uses the first")
	fs.StringVar(&pids, "pid", "", "server pid(s), comma-separated, for RSS and CPU from /proc (optional)")
	fs.StringVar(&workloads, "workloads", "idle,fanout,saturate,churn,rest", "workloads to run, in order: idle, fanout, fanout-wide, saturate, churn, rest; add -sse (e.g. fanout-sse) for the SSE fallback")
	fs.StringVar(&c.runID, "run-id", "", "suffix of the users' emails (default: the time)")
	fs.StringVar(&c.note, "note", "", "a line for the report (machine, conditions)")
	fs.StringVar(&c.jsonOut, "json", "", "write the JSON report to this file")
	fs.StringVar(&c.mdOut, "md", "", "write the markdown report to this file")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "the whole run stops after this")
	fs.DurationVar(&c.waitReady, "wait", 60*time.Second, "wait this long for every server's /readyz (Centrifugo: /health)")

	fs.IntVar(&c.connsPerUser, "conns-per-user", 20, "connections per user (the server's WSO_WS_MAX_CONNS_PER_USER, default 20, must allow it)")
	fs.IntVar(&c.dialConcurrency, "dial-concurrency", 64, "connections opened at once")
	fs.IntVar(&c.regConcurrency, "register-concurrency", 8, "registrations at once (argon2: ~50 ms of server CPU each)")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "how long to wait for the last deliveries after a load stops")
	fs.DurationVar(&c.settle, "settle", 3*time.Second, "idle: wait this long after connecting before reading RSS")

	fs.IntVar(&c.idleConns, "idle-conns", 5000, "idle: connections")
	fs.IntVar(&c.idleWorkspaces, "idle-workspaces", 100, "idle: workspaces the connections are spread over")

	fs.IntVar(&c.fanoutSubs, "fanout-subs", 2000, "fanout: subscribers in one workspace")
	fs.Float64Var(&c.fanoutRate, "fanout-rate", 20, "fanout: status changes per second through REST")
	fs.DurationVar(&c.fanoutDuration, "fanout-duration", 15*time.Second, "fanout: how long changes are made")
	fs.IntVar(&c.wideSubs, "wide-subs", 10000, "fanout-wide: subscribers, spread over -wide-workspaces")
	fs.IntVar(&c.wideWorkspaces, "wide-workspaces", 100, "fanout-wide: workspaces the subscribers and the changes are spread over")
	fs.Float64Var(&c.wideRate, "wide-rate", 100, "fanout-wide: status changes per second through REST, over all the workspaces (for -fanout-duration)")
	fs.IntVar(&c.fanoutItems, "fanout-items", 16, "fanout and churn: work items flipped (each flips one change at a time)")

	fs.IntVar(&c.saturateSubs, "saturate-subs", 1000, "saturate: subscribers in one workspace")
	fs.DurationVar(&c.saturateDuration, "saturate-duration", 10*time.Second, "saturate: how long changes are made")
	fs.IntVar(&c.saturateWriters, "saturate-writers", 8, "saturate: concurrent REST writers, each flipping its own item back to back")

	fs.IntVar(&c.churnClients, "churn-clients", 200, "churn: clients")
	fs.DurationVar(&c.churnDuration, "churn-duration", 15*time.Second, "churn: how long clients churn while changes flow")
	fs.Float64Var(&c.churnRate, "churn-rate", 20, "churn: status changes per second")
	fs.DurationVar(&c.churnUptime, "churn-uptime", 2*time.Second, "churn: mean time a client stays connected")

	fs.IntVar(&c.restClients, "rest-clients", 8, "rest: concurrent clients")
	fs.DurationVar(&c.restDuration, "rest-duration", 25*time.Second, "rest: time at each size, split equally between list, get, status change, overview and upload")
	fs.StringVar(&restSizes, "rest-sizes", "1000", fmt.Sprintf("rest: work item counts the workspace is seeded to in turn (increasing, comma-separated, at most %d each; e.g. 1000,10000,50000); every operation is measured at each", maxRestSize))

	fs.IntVar(&c.sseSubs, "sse-subs", 500, "clients of the -sse workloads (SSE streams instead of -*-subs/-idle-conns/-churn-clients)")
	fs.IntVar(&c.seedUsers, "seed-users", 300, "dataset: users registered before the workloads (with -seed-workspaces)")
	fs.IntVar(&c.seedWorkspaces, "seed-workspaces", 0, "dataset: workspaces made before the workloads, with their members and work items (0: none; make bench and bench-compare seed 100)")
	fs.IntVar(&c.seedMembers, "seed-members", 10, "dataset: members of each seeded workspace, the owner included")
	fs.IntVar(&c.seedItems, "seed-items", 20, "dataset: work items of each seeded workspace, each moved DRAFT -> ACTIVE")
	fs.BoolVar(&c.batch, "batch", false, "v1 WebSocket clients ask for batched messages at auth (several frames per message, newline-separated), as the browser client does")
	fs.StringVar(&c.target, "target", targetV1, "the server: v1 (WorkspaceOps, protocol v1), socketio (the Socket.io reference of bench/wsbench/reference) or centrifugo (Centrifugo v6 configured as compare.sh does: API key $CF_API_KEY); the references run idle, fanout, fanout-wide and saturate only, with tokens signed with $JWT_SECRET")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range strings.Split(urls, ",") {
		u, err := loopbackURL(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		c.urls = append(c.urls, u)
	}
	for _, s := range strings.Split(pids, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := strconv.Atoi(s)
		if err != nil || p <= 0 {
			return nil, fmt.Errorf("-pid: %q is not a pid", s)
		}
		c.pids = append(c.pids, p)
	}
	for _, w := range strings.Split(workloads, ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		name, _ := strings.CutSuffix(w, "-sse")
		switch name {
		case "idle", "fanout", "saturate", "churn":
		case "rest", "fanout-wide":
			if name != w {
				return nil, fmt.Errorf("%s has no -sse variant", name)
			}
		default:
			return nil, fmt.Errorf("unknown workload %q", w)
		}
		c.workloads = append(c.workloads, w)
	}
	sizes, err := parseSizes(restSizes)
	if err != nil {
		return nil, err
	}
	c.restSizes = sizes
	if c.runID == "" {
		c.runID = strconv.FormatInt(time.Now().UnixMilli(), 36)
	}
	if c.reference() {
		c.refSecret = []byte(os.Getenv("JWT_SECRET"))
	}
	if c.target == targetCentrifugo {
		c.cfAPIKey = os.Getenv("CF_API_KEY")
	}
	return c, c.validate()
}

func (c *config) validate() error {
	for name, n := range map[string]int{"-idle-conns": c.idleConns, "-fanout-subs": c.fanoutSubs, "-wide-subs": c.wideSubs,
		"-saturate-subs": c.saturateSubs, "-churn-clients": c.churnClients, "-sse-subs": c.sseSubs} {
		if n < 1 || n > maxConns {
			return fmt.Errorf("%s must be 1..%d", name, maxConns)
		}
	}
	for name, n := range map[string]int{"-conns-per-user": c.connsPerUser, "-dial-concurrency": c.dialConcurrency,
		"-register-concurrency": c.regConcurrency, "-idle-workspaces": c.idleWorkspaces, "-fanout-items": c.fanoutItems,
		"-wide-workspaces":  c.wideWorkspaces,
		"-saturate-writers": c.saturateWriters, "-rest-clients": c.restClients} {
		if n < 1 || n > 1000 {
			return fmt.Errorf("%s must be 1..1000", name)
		}
	}
	for name, d := range map[string]time.Duration{"-fanout-duration": c.fanoutDuration, "-saturate-duration": c.saturateDuration,
		"-churn-duration": c.churnDuration, "-rest-duration": c.restDuration, "-drain": c.drain, "-settle": c.settle,
		"-churn-uptime": c.churnUptime, "-wait": c.waitReady} {
		if d <= 0 || d > maxDuration {
			return fmt.Errorf("%s must be in (0, %s]", name, maxDuration)
		}
	}
	if c.seedWorkspaces < 0 || c.seedWorkspaces > 10000 || (c.seedWorkspaces > 0 && (c.seedUsers < 1 || c.seedUsers > maxConns ||
		c.seedMembers < 1 || c.seedMembers > c.seedUsers || c.seedItems < 0 || c.seedItems > 1000)) {
		return fmt.Errorf("-seed-workspaces must be 0..10000; with it, -seed-users 1..%d, -seed-members 1..-seed-users, -seed-items 0..1000", maxConns)
	}
	if c.timeout <= 0 || c.timeout > time.Hour {
		return errors.New("-timeout must be in (0, 1h]")
	}
	for name, r := range map[string]float64{"-fanout-rate": c.fanoutRate, "-churn-rate": c.churnRate, "-wide-rate": c.wideRate} {
		if r <= 0 || r > maxRate {
			return fmt.Errorf("%s must be in (0, %d]", name, maxRate)
		}
	}
	if len(c.restSizes) == 0 {
		return errors.New("-rest-sizes: no size given")
	}
	if c.restSizes[0] < c.restClients {
		return fmt.Errorf("-rest-sizes: the first size (%d) must be at least -rest-clients (%d): each client flips its own seeded item", c.restSizes[0], c.restClients)
	}
	if len(c.workloads) == 0 {
		return errors.New("no workload selected")
	}
	switch c.target {
	case targetV1:
	case targetSocketIO, targetCentrifugo:
		for _, w := range c.workloads {
			if w != "idle" && w != "fanout" && w != "fanout-wide" && w != "saturate" {
				return fmt.Errorf("-target %s runs idle, fanout, fanout-wide and saturate only, not %q", c.target, w)
			}
		}
		if len(c.refSecret) < 32 {
			return fmt.Errorf("-target %s signs tokens with $JWT_SECRET: set it (32+ bytes, the reference's secret)", c.target)
		}
		if c.target == targetCentrifugo && c.cfAPIKey == "" {
			return errors.New("-target centrifugo publishes through its HTTP API: set $CF_API_KEY (its http_api.key)")
		}
	default:
		return fmt.Errorf("-target %q: want v1, socketio or centrifugo", c.target)
	}
	return nil
}

// loopbackURL parses an http base URL and refuses any host but a loopback address.
func loopbackURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url: %q is not an http(s) base URL", s)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-url: %q is not on loopback (wsbench only loads this machine)", s)
	}
	return u, nil
}

// writeFileAtomic writes data to path through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return "."
}

// goInfo describes this process for the report.
func goInfo() string {
	return fmt.Sprintf("%s %s/%s GOMAXPROCS=%d", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
}
