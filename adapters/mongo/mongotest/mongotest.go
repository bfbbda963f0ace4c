// Package mongotest gives integration tests a MongoDB-compatible server and a fresh database per
// test. It is a test helper: import it only from _test.go files.
//
// A package's TestMain calls Main, which starts the server chosen by the WSO_TEST_MONGO
// environment variable, runs the tests and tears the server down:
//
//   - "" or "embedded": the in-process embedded store (FerretDB on SQLite) in a temp dir;
//   - "uri": the server at MONGO_URI (a real MongoDB in CI, say);
//   - "testcontainers": a container started through testcontainers-go, by default a FROM-scratch
//     image of cmd/devstore built on the spot (no registry needed), or the image named by
//     WSO_TEST_MONGO_IMAGE (e.g. mongo:8). The container uses host networking on a free
//     loopback port, so test traffic never leaves 127.0.0.1.
//
// Tests then call Database for an isolated, uniquely named database that is dropped afterwards.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/adapters/mongo/embedded"
)

// uri is set by Main before the tests run and only read afterwards.
var uri string

// Main starts the MongoDB server chosen by WSO_TEST_MONGO, runs m, tears the server down and exits.
func Main(m *testing.M) {
	os.Exit(run(m))
}

// run holds Main's body so deferred teardown happens before os.Exit.
func run(m *testing.M) int {
	// Bounds start-up only; a cold build of the devstore image alone can take minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var (
		stop func() error
		err  error
	)
	switch mode := os.Getenv("WSO_TEST_MONGO"); mode {
	case "", "embedded":
		uri, stop, err = startEmbedded(ctx)
	case "uri":
		uri, stop = os.Getenv("MONGO_URI"), func() error { return nil }
		if uri == "" {
			err = errors.New("WSO_TEST_MONGO=uri needs MONGO_URI to be set")
		}
	case "testcontainers":
		uri, stop, err = startContainer(ctx)
	default:
		err = fmt.Errorf("WSO_TEST_MONGO=%q: want embedded, uri or testcontainers", mode)
	}
	if err == nil {
		// Fail once, here, rather than in every test when the server is unreachable.
		err = ping(ctx, uri)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mongotest: %v\n", err)
		if stop != nil {
			if serr := stop(); serr != nil {
				fmt.Fprintf(os.Stderr, "mongotest: teardown: %v\n", serr)
			}
		}
		return 1
	}

	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "mongotest: teardown: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// URI returns the connection string of the server Main started.
func URI() string { return uri }

// Database returns a fresh, uniquely named database on that server (connected with a client that is disconnected and the database dropped in t.Cleanup).
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	if uri == "" {
		t.Fatal("mongotest: no server; call mongotest.Main(m) from TestMain")
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("mongotest: connect: %v", err)
	}
	db := client.Database(dbName(t))
	t.Cleanup(func() {
		// t's own context is already cancelled during cleanup.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			t.Errorf("mongotest: drop database %s: %v", db.Name(), err)
		}
		if err := client.Disconnect(ctx); err != nil {
			t.Errorf("mongotest: disconnect: %v", err)
		}
	})
	return db
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// dbName derives a name from the test (to spot leftovers) plus random bytes, so packages that
// share one server (go test runs them in parallel) never collide. It stays within what both
// MongoDB and the embedded store accept: [a-zA-Z0-9_-], at most 63 characters. Lowercase only,
// because MongoDB refuses names that differ from an existing one only by case.
func dbName(t testing.TB) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	name := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return "t_" + name + "_" + hex.EncodeToString(b)
}

func startEmbedded(ctx context.Context) (string, func() error, error) {
	dir, err := os.MkdirTemp("", "mongotest-*")
	if err != nil {
		return "", nil, fmt.Errorf("embedded store: temp dir: %w", err)
	}
	srv, err := embedded.Start(ctx, embedded.Options{
		DataDir: dir,
		// The store logs failed commands (duplicate keys tests provoke on purpose) at WARN.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("embedded store: %w", err)
	}
	stop := func() error {
		srv.Close()
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove embedded store data: %w", err)
		}
		return nil
	}
	return srv.URI(), stop, nil
}

// ping checks the server answers. Errors leave the URI out: MONGO_URI may carry a password.
func ping(ctx context.Context, uri string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	if err := client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("ping server: %w", err)
	}
	return nil
}
