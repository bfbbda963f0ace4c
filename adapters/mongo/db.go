package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Short timeouts so a wrong or unreachable MONGO_URI fails start-up within seconds instead of
// the driver's default 30 s of server selection, and every operation (server selection
// included) ends within OperationTimeout even when the server stops answering on an open
// connection (a frozen process): the request then answers 503 store_unavailable instead of
// hanging. Selection may take longer than an operation on its own, so an operation's deadline
// is what ends it, and its error is a deadline exceeded the error table recognises.
const (
	connectTimeout         = 5 * time.Second
	serverSelectionTimeout = 10 * time.Second
	// OperationTimeout bounds each operation that has no earlier deadline of its own.
	OperationTimeout = 5 * time.Second
)

// DB is a connected client bound to the service's database.
type DB struct {
	client *mongodriver.Client
	db     *mongodriver.Database
}

// Connect connects to the server at uri and pings it once, so a bad address or credentials
// fail here rather than on the first request. Errors leave uri out: it may carry a password.
func Connect(ctx context.Context, uri, database string) (*DB, error) {
	if database == "" {
		return nil, errors.New("mongo: database name is required")
	}
	opts := options.Client().
		ApplyURI(uri).
		SetConnectTimeout(connectTimeout).
		SetServerSelectionTimeout(serverSelectionTimeout).
		SetTimeout(OperationTimeout)
	client, err := mongodriver.Connect(opts)
	if err != nil {
		return nil, storeError("mongo: connect: %w", err)
	}
	d := &DB{client: client, db: client.Database(database)}
	if err := d.Ping(ctx); err != nil {
		// Release the pool's background goroutines; the ping error is the one worth reporting.
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	return d, nil
}

// Database returns the service's database, for the repositories and EnsureIndexes.
func (d *DB) Database() *mongodriver.Database { return d.db }

// Ping checks that the server answers (readiness probes).
func (d *DB) Ping(ctx context.Context) error {
	if err := d.client.Ping(ctx, nil); err != nil {
		return storeError("mongo: ping: %w", err)
	}
	return nil
}

// Close disconnects, waiting for in-flight operations until ctx is done.
func (d *DB) Close(ctx context.Context) error {
	if err := d.client.Disconnect(ctx); err != nil {
		return storeError("mongo: disconnect: %w", err)
	}
	return nil
}

// NonEmptyCollections lists the collections of the database that hold at least one document.
func (d *DB) NonEmptyCollections(ctx context.Context) ([]string, error) {
	names, err := d.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, storeError("mongo: list collections: %w", err)
	}
	var full []string
	for _, name := range names {
		n, err := d.db.Collection(name).CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
		if err != nil {
			return nil, storeError("mongo: count %s: %w", name, err)
		}
		if n > 0 {
			full = append(full, name)
		}
	}
	return full, nil
}
