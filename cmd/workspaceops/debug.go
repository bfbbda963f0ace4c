package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/workspaceops/workspaceops/adapters/natsbus"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/modules/auditlog"
)

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

// startDebug serves Go's pprof profiles and the process's counters (GET /debug/counters, JSON)
// on addr (config only accepts loopback) until ctx ends, for profiling under load (make bench)
// and for operators. It returns once the listener is up.
func startDebug(ctx context.Context, addr string, counters Counters, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/counters", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(counters())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("debug listener stopped", slog.Any("error", err))
		}
	}()
	log.Info("pprof profiles served", slog.String("url", "http://"+ln.Addr().String()+"/debug/pprof/"))
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}, nil
}
