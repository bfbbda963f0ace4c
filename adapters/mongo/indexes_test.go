package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

// EnsureIndexes runs on every start and from migrate, so a second run must succeed and leave
// exactly the declared indexes.
func TestEnsureIndexesIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := mongotest.Database(t)
	for run := 1; run <= 2; run++ {
		if err := mongo.EnsureIndexes(ctx, db); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	want := map[string]map[string]bool{} // collection -> index name -> unique
	for _, ix := range mongo.Indexes {
		if want[ix.Collection] == nil {
			want[ix.Collection] = map[string]bool{}
		}
		want[ix.Collection][ix.Name] = ix.Unique
	}
	for coll, names := range want {
		cur, err := db.Collection(coll).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []struct {
			Name   string `bson:"name"`
			Unique bool   `bson:"unique"`
			Key    bson.D `bson:"key"`
		}
		if err := cur.All(ctx, &got); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, ix := range got {
			if ix.Name == "_id_" {
				continue
			}
			unique, ok := names[ix.Name]
			switch {
			case !ok:
				t.Errorf("%s: unexpected index %s %v", coll, ix.Name, ix.Key)
			case seen[ix.Name]:
				t.Errorf("%s: index %s listed twice", coll, ix.Name)
			case ix.Unique != unique:
				t.Errorf("%s: index %s unique = %v, want %v", coll, ix.Name, ix.Unique, unique)
			}
			seen[ix.Name] = true
		}
		for name := range names {
			if !seen[name] {
				t.Errorf("%s: index %s missing", coll, name)
			}
		}
	}
}
