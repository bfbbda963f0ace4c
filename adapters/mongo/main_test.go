package mongo_test

import (
	"context"
	"testing"
	"time"

	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

// TestMain starts the store chosen by WSO_TEST_MONGO (the embedded one by default).
func TestMain(m *testing.M) { mongotest.Main(m) }

// indexedDatabase returns a fresh database with the package's indexes, as the service has it.
func indexedDatabase(t *testing.T) *mongodriver.Database {
	t.Helper()
	db := mongotest.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := mongo.EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}
