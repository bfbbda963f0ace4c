// Command workspaceops runs the WorkspaceOps backend.
//
//	workspaceops [serve]       serve the REST API (the default)
//	workspaceops migrate       bring the database's schema up to date (SQLite migrations,
//	                           MongoDB indexes), then exit
//	workspaceops copy --to URI copy the embedded store into an empty MongoDB database, verify
//	                           every record and print counts and checksums
//	workspaceops healthcheck   exit 0 when the server at WSO_ADDR is alive (/healthz; for
//	                           container health checks: the image has no curl)
//
// Configuration comes from environment variables; see the README or platform/config.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/workspaceops/workspaceops/adapters/bridge"
	"github.com/workspaceops/workspaceops/adapters/httpapi"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/logging"
)

// App is what serve needs once everything is wired.
type App struct {
	Handler http.Handler
	// Sweep runs the document expiry sweeper until its context ends.
	Sweep func(ctx context.Context)
	// Webhooks delivers webhooks until its context ends.
	Webhooks bridge.WebhookDispatch
	// Realtime is the WebSocket/SSE hub; serve shuts it down after REST has drained.
	Realtime *realtime.Hub
	// Metrics serves the Prometheus registry on the metrics listener.
	Metrics MetricsHandler
}

// usage is what -h prints, and a wrong command line.
const usage = `usage: workspaceops [command]

commands:
  serve                      serve the REST API and realtime on WSO_ADDR (the default)
  migrate                    bring the database's schema up to date, then exit
  copy --to <mongodb URI>    copy the embedded store into an empty MongoDB database and verify it
  healthcheck                exit 0 when the server at WSO_ADDR is alive (/healthz)

Settings are environment variables (WSO_ADDR, WSO_DATA_DIR, MONGO_URI, JWT_SECRET, ...): see the
README's Configuration table.
`

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	// The server's memory is mostly long-lived: per WebSocket, a 4 KB reader stack and about
	// 5 KB of heap. Go lets the heap grow past the live heap and stacks by GOGC percent before
	// collecting, and that headroom is resident: at the default 100 it nearly doubles RSS per
	// idle connection. 50 cuts the server's RSS with 5,000 idle connections by about a sixth
	// (make bench: 138 MB -> 119 MB), for more frequent collections of a small heap (fanout
	// CPU per delivery unchanged). GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	giveBack := func() {}
	if os.Getenv("WSO_TAKE_TERMINAL") == "1" {
		giveBack = takeTerminal()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	giveBack()
	os.Exit(code)
}

// run is main without process globals, so tests can run the real command in-process. It
// returns when ctx is cancelled (a signal) or the server fails.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch {
	case cmd == "-h" || cmd == "--help" || cmd == "help":
		fmt.Fprint(stderr, usage)
		return exitOK
	case (len(args) > 1 && cmd != "copy") || (cmd != "serve" && cmd != "migrate" && cmd != "healthcheck" && cmd != "copy"):
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "workspaceops: invalid configuration:\n%v\n", err)
		return exitUsage
	}
	var copyTo copyFlags
	if cmd == "copy" {
		if copyTo, err = parseCopyFlags(args[1:], cfg, stderr); err != nil {
			return exitUsage
		}
	}
	log, err := logging.New(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintf(stderr, "workspaceops: %v\n", err)
		return exitUsage
	}
	switch cmd {
	case "migrate":
		err = migrate(ctx, cfg, log)
	case "healthcheck":
		err = healthcheck(ctx, cfg)
	case "copy":
		err = copyStore(ctx, cfg, copyTo, stderr, log)
	default:
		err = serve(ctx, cfg, log)
	}
	if err != nil {
		log.Error("workspaceops failed", slog.String("command", cmd), slog.Any("error", err))
		return exitFailed
	}
	return exitOK
}

// healthcheck asks the server listening on WSO_ADDR (on this host) for /healthz: a liveness
// check, so that a database outage does not get every instance restarted at once (load
// balancers route by /readyz).
func healthcheck(ctx context.Context, cfg config.Config) error {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening on every address: ask over loopback
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %d", resp.StatusCode)
	}
	return nil
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// provideStore migrates (SQLite) or ensures every index (MongoDB) before it returns.
	_, cleanup, err := provideStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	cleanup()
	log.Info("the database schema is up to date")
	return nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	tracer, flushTraces, err := provideTracer(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer flushTraces()
	app, cleanup, err := initApp(ctx, cfg, log, tracer)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer cleanup()

	if cfg.DebugAddr != "" {
		stopDebug, err := startListener(ctx, "debug", cfg.DebugAddr, debugMux(), log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", app.Metrics)
		stopMetrics, err := startListener(ctx, "metrics", cfg.MetricsAddr, mux, log)
		switch {
		case err == nil:
			defer stopMetrics()
		case cfg.MetricsOptional:
			log.Warn("no metrics: the default metrics address is taken (set WSO_METRICS_ADDR to a free one, or off)",
				slog.String("addr", cfg.MetricsAddr), slog.Any("error", err))
		default:
			return err
		}
	}
	// No TCP keep-alive probes: a WebSocket's pings and the server's timeouts find dead peers,
	// and setting them up is three system calls on every accepted connection.
	ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           app.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    httpapi.ServerHeaderBytes, // the router refuses above httpapi.MaxHeaderBytes, as a problem
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	swept := make(chan struct{})
	go func() { defer close(swept); app.Sweep(sweepCtx) }()
	defer func() { stopSweep(); <-swept }()
	hooksCtx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	hooked := make(chan struct{})
	go func() { defer close(hooked); app.Webhooks(hooksCtx) }()
	defer func() { stopHooks(); <-hooked }()
	log.Info("WorkspaceOps is serving", slog.String("url", "http://"+ln.Addr().String()),
		slog.String("store", storeKind(cfg)))

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// REST has drained; now the realtime connections (which the server does not track once
	// upgraded), closed with 1001 in batches so clients do not all reconnect at once.
	log.Info("closing realtime connections", slog.Duration("drain", cfg.WSDrain))
	rtCtx, rtCancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.WSDrain+10*time.Second)
	defer rtCancel()
	if err := app.Realtime.Shutdown(rtCtx, cfg.WSDrain); err != nil {
		log.Warn("realtime connections still open after the drain", slog.Any("error", err))
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}
