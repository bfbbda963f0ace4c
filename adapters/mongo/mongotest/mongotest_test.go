package mongotest_test

import (
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

func TestDatabaseInsertFind(t *testing.T) {
	db := mongotest.Database(t)
	coll := db.Collection("things")
	ctx := t.Context()

	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 42}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got struct {
		ID string `bson:"_id"`
		N  int    `bson:"n"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("find: %v", err)
	}
	if got.ID != "a" || got.N != 42 {
		t.Errorf("found %+v, want {ID:a N:42}", got)
	}
}

func TestDatabaseNamesDiffer(t *testing.T) {
	a, b := mongotest.Database(t), mongotest.Database(t)
	if a.Name() == b.Name() {
		t.Errorf("two Database calls gave the same name %q", a.Name())
	}
}

func TestDatabaseDroppedOnCleanup(t *testing.T) {
	var name string
	t.Run("use", func(t *testing.T) {
		db := mongotest.Database(t)
		name = db.Name()
		if _, err := db.Collection("things").InsertOne(t.Context(), bson.D{{Key: "x", Value: 1}}); err != nil {
			t.Fatalf("insert: %v", err)
		}
	})

	client, err := mongo.Connect(options.Client().ApplyURI(mongotest.URI()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	names, err := client.ListDatabaseNames(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("list databases: %v", err)
	}
	if slices.Contains(names, name) {
		t.Errorf("database %q still exists after its test's cleanup", name)
	}
}
