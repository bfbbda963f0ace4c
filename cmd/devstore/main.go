// Command devstore runs the embedded MongoDB-compatible store (FerretDB on SQLite, see
// adapters/mongo/embedded) as a standalone server. It exists for tests and containers: the
// mongotest helper builds it into a FROM-scratch image (deploy/devstore.Dockerfile) so the
// integration suite can run through testcontainers without pulling a MongoDB image. It is not
// meant for production, which points MONGO_URI at a real MongoDB.
//
// Like every embedded server it gives each collection an index on the expression FerretDB's
// by-_id SQL compares (its own _id index does not match it), so finds, updates and deletes by
// _id are index lookups rather than table scans: a background pass adds it within a second of a
// collection's creation, and to collections of an existing data directory at start. See the
// embedded package for details.
//
// Configuration comes from flags, falling back to environment variables:
//
//	-addr      WSO_DEVSTORE_ADDR  listen address (default 127.0.0.1:27017)
//	-data-dir  WSO_DATA_DIR       directory for the SQLite files (default ./data/devstore)
//
// Once it accepts connections it logs exactly one line containing "devstore listening" and the
// connection string; readiness checks (testcontainers' wait.ForLog) wait for that line.
// SIGINT or SIGTERM stops it cleanly with exit status 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/workspaceops/workspaceops/adapters/mongo/embedded"
)

func main() {
	addr := flag.String("addr", envOr("WSO_DEVSTORE_ADDR", "127.0.0.1:27017"),
		"listen address (env WSO_DEVSTORE_ADDR)")
	dataDir := flag.String("data-dir", envOr("WSO_DATA_DIR", "./data/devstore"),
		"directory holding the store's SQLite files (env WSO_DATA_DIR)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(logger, *addr, *dataDir); err != nil {
		logger.Error("devstore failed", "err", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, addr, dataDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	srv, err := embedded.Start(ctx, embedded.Options{
		DataDir: dataDir,
		Addr:    addr,
		// The store logs every failed command (duplicate keys included) at WARN; tests provoke
		// those on purpose, so only its errors are worth a line here.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})).
			With("component", "store"),
	})
	if err != nil {
		return fmt.Errorf("start store: %w", err)
	}
	defer srv.Close()

	logger.Info("devstore listening", "uri", srv.URI(), "data_dir", dataDir)
	<-ctx.Done()
	logger.Info("devstore stopping")
	return nil
}

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
