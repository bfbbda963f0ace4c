// Package embedded runs a MongoDB-compatible server (FerretDB v1 on SQLite) inside the process,
// listening on loopback, so the service and its tests run on a machine with no MongoDB.
//
// FerretDB keeps each database in <DataDir>/<database>.sqlite and each collection in a table
// there, one JSON document per row. The only filter it hands to SQLite, {_id: <string or
// ObjectID>} alone, becomes WHERE _ferretdb_sjson->'$._id' = ?, and so do the UPDATE it runs per
// updated document and the DELETE ... IN it runs for deletes; its own unique _id index is on
// _ferretdb_sjson->"_id", which SQLite does not treat as the same expression, so each of those
// scanned the whole table. The server therefore adds an index on that exact expression to every
// collection table: a background pass, at start and then every second until Close, opens each
// database file, reads FerretDB's collection list (its _ferretdb_collections table) and runs
// CREATE INDEX IF NOT EXISTS wso_id_<table> for tables that lack one, logging at debug (an idle
// pass costs about 0.6 ms per database). By-_id operations are then index lookups: with 20,000
// documents a find by _id went from 14 ms to 0.5 ms, an updateOne or deleteOne by _id from
// 45 ms to 1 ms. A collection goes without the index for up to a second after it is created;
// the index goes with its collection's table and is invisible to clients (listIndexes reports
// FerretDB's own indexes only). TestIDIndex fails if a FerretDB upgrade changes the SQL so that
// the index no longer matches.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Options configure the embedded server.
type Options struct {
	// DataDir holds the SQLite files; it is created when missing. State survives restarts.
	DataDir string
	// Addr is the loopback address to listen on; empty picks a free port on 127.0.0.1.
	Addr string
	// Logger receives the store's own logs. FerretDB logs every failed command (duplicate keys
	// included) at WARN, so callers usually pass a logger raised to ERROR.
	Logger *slog.Logger
}

// Server is a running embedded store.
type Server struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}

	stopIndexer context.CancelFunc // stops runIDIndexer; nil until it runs
	indexerDone chan struct{}
}

// Start starts the store and returns once it accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("embedded store: data dir is required")
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("embedded store: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded store: create data dir: %w", err)
	}
	addr := opts.Addr
	if addr == "" {
		if addr, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = f.Run(runCtx) // Run only returns after runCtx is cancelled
	}()
	if err := waitListening(ctx, addr); err != nil {
		s.Close()
		return nil, err
	}
	s.uri = f.MongoDBURI()
	indexCtx, stopIndexer := context.WithCancel(runCtx)
	s.stopIndexer, s.indexerDone = stopIndexer, make(chan struct{})
	go runIDIndexer(indexCtx, dir, logger, s.indexerDone)
	return s, nil
}

// URI is the connection string of the running store.
func (s *Server) URI() string { return s.uri }

// Close stops the store and waits until its files are closed.
func (s *Server) Close() {
	if s.stopIndexer != nil {
		s.stopIndexer()
		<-s.indexerDone
	}
	s.cancel()
	<-s.done
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("embedded store: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded store: not listening on %s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
