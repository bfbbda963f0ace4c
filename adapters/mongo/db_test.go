package mongo_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

func TestConnectPingClose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := mongo.Connect(ctx, mongotest.URI(), mongotest.Database(t).Name())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mongo.EnsureIndexes(ctx, db.Database()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A server that is not there must fail Connect promptly, not hang start-up.
func TestConnectFailsFastWhenNobodyListens(t *testing.T) {
	t.Parallel() // it waits out the server selection timeout
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = mongo.Connect(ctx, "mongodb://"+addr+"/?directConnection=true", "x")
	if err == nil {
		t.Fatal("Connect succeeded with nobody listening")
	}
	if errors.Is(err, context.DeadlineExceeded) && time.Since(start) >= 30*time.Second {
		t.Fatalf("Connect hung until the test's deadline: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("Connect took %v to fail", d)
	}
}

func TestConnectRequiresADatabaseName(t *testing.T) {
	if _, err := mongo.Connect(context.Background(), mongotest.URI(), ""); err == nil {
		t.Fatal("Connect accepted an empty database name")
	}
}
