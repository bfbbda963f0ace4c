package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestIDIndex checks that the _id index the server adds is the one SQLite picks for FerretDB's
// by-_id SQL, so a FerretDB upgrade that changes that SQL (or the metadata this package reads)
// fails here rather than silently bringing table scans back.
func TestIDIndex(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	client, stop := startAndConnect(ctx, t, dir)

	// Mixed case: FerretDB lowercases collection names into table names.
	coll := client.Database("idindex").Collection("Things")
	const n = 300
	docs := make([]any, 0, n+1)
	oids := make([]bson.ObjectID, n)
	for i := range n {
		oids[i] = bson.NewObjectID()
		docs = append(docs, bson.D{{Key: "_id", Value: oids[i]}, {Key: "n", Value: i}})
	}
	docs = append(docs, bson.D{{Key: "_id", Value: "string-id"}, {Key: "n", Value: -1}})
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	sdb := openSQLite(t, filepath.Join(dir, "idindex.sqlite"))
	table := waitIDIndex(ctx, t, sdb, "Things")

	// EXPLAIN QUERY PLAN is planned with the schema a connection last read, and FerretDB's
	// pooled connections predate the index (a real statement notices the schema change when it
	// runs and is prepared again; an EXPLAIN does not). A restart gives FerretDB fresh connections,
	// and shows the index survives it.
	stop()
	client, _ = startAndConnect(ctx, t, dir)
	coll = client.Database("idindex").Collection("Things")

	// FerretDB's own SQL, captured: its explain command builds the statement with the same code
	// as a find (prepareSelectClause plus WHERE metadata.IDColumn = ?; filterPushdown reports
	// that the filter went into the SQL) and runs EXPLAIN QUERY PLAN on it against this file.
	for _, id := range []any{oids[n/2], "string-id"} {
		plan, pushdown := ferretExplainFind(ctx, t, coll, id)
		if !pushdown {
			t.Errorf("explain find {_id: %v}: filterPushdown false; FerretDB no longer sends the filter to SQLite", id)
		}
		assertUsesIDIndex(t, fmt.Sprintf("FerretDB's plan for find {_id: %v}", id), plan, table)
	}

	// The statements FerretDB runs but cannot explain, copied from FerretDB v1.24.2
	// internal/backends/sqlite/collection.go (UpdateAll, DeleteAll) and, for the find, Query
	// (the same as what explain ran above). Written out literally, not built from idExpr, so they
	// check that constant too.
	qt := quoteIdent(table)
	for name, q := range map[string]string{
		"find":   `SELECT  _ferretdb_sjson FROM ` + qt + ` WHERE _ferretdb_sjson->'$._id' = ?`,
		"update": `UPDATE ` + qt + ` SET _ferretdb_sjson = ? WHERE _ferretdb_sjson->'$._id' = ?`,
		"delete": `DELETE FROM ` + qt + ` WHERE _ferretdb_sjson->'$._id' IN (?, ?)`,
	} {
		assertUsesIDIndex(t, "copied "+name+" SQL", explainQueryPlan(ctx, t, sdb, q), table)
	}

	// And the index does what it is for: finds by _id return the right documents.
	for _, c := range []struct {
		id   any
		want int
	}{{oids[0], 0}, {oids[n-1], n - 1}, {"string-id", -1}} {
		var got struct {
			N int `bson:"n"`
		}
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: c.id}}).Decode(&got); err != nil {
			t.Fatalf("find {_id: %v}: %v", c.id, err)
		}
		if got.N != c.want {
			t.Errorf("find {_id: %v}: n = %d, want %d", c.id, got.N, c.want)
		}
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Errorf("find of a missing _id: err = %v, want ErrNoDocuments", err)
	}

	// Collections and databases created after start are picked up too.
	if _, err := client.Database("idindex").Collection("later").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	waitIDIndex(ctx, t, sdb, "later")
	if _, err := client.Database("idindex2").Collection("other").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	waitIDIndex(ctx, t, openSQLite(t, filepath.Join(dir, "idindex2.sqlite")), "other")
}

// startAndConnect starts a server on dir and connects a client to it. stop disconnects and
// closes the server; it runs at cleanup unless called before.
func startAndConnect(ctx context.Context, t *testing.T, dir string) (client *mongo.Client, stop func()) {
	t.Helper()
	srv, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	client, err = mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = client.Disconnect(context.Background())
			srv.Close()
		})
	}
	t.Cleanup(stop)
	return client, stop
}

func openSQLite(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: file, RawQuery: "mode=rw&_pragma=busy_timeout(5000)"}).String())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() }) // before srv.Close, which was registered earlier
	return db
}

// waitIDIndex waits for the indexer to index collection's table and returns the table's name,
// read from FerretDB's metadata table.
func waitIDIndex(ctx context.Context, t *testing.T, db *sql.DB, collection string) string {
	t.Helper()
	deadline := time.Now().Add(10 * idIndexInterval)
	for {
		var table, sqlText string
		err := db.QueryRowContext(ctx, `SELECT table_name FROM `+quoteIdent(ferretMetadataTable)+` WHERE name = ?`,
			collection).Scan(&table)
		if err == nil {
			err = db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ? AND tbl_name = ?`,
				idIndexName(table), table).Scan(&sqlText)
		}
		if err == nil {
			if !strings.Contains(sqlText, "("+idExpr+")") {
				t.Fatalf("index %s is %q, want it on %s", idIndexName(table), sqlText, idExpr)
			}
			return table
		}
		if time.Now().After(deadline) {
			t.Fatalf("collection %s: no _id index after %v: %v", collection, 10*idIndexInterval, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ferretExplainFind runs FerretDB's explain of a find by _id and returns its SQLite query plan
// and its filterPushdown flag (both FerretDB extensions to explain's output).
func ferretExplainFind(ctx context.Context, t *testing.T, coll *mongo.Collection, id any) ([]string, bool) {
	t.Helper()
	var res struct {
		QueryPlanner struct {
			Plan []string `bson:"Plan"`
		} `bson:"queryPlanner"`
		FilterPushdown bool `bson:"filterPushdown"`
	}
	cmd := bson.D{
		{Key: "explain", Value: bson.D{
			{Key: "find", Value: coll.Name()},
			{Key: "filter", Value: bson.D{{Key: "_id", Value: id}}},
		}},
		{Key: "verbosity", Value: "queryPlanner"},
	}
	if err := coll.Database().RunCommand(ctx, cmd).Decode(&res); err != nil {
		t.Fatalf("explain find {_id: %v}: %v", id, err)
	}
	return res.QueryPlanner.Plan, res.FilterPushdown
}

// explainQueryPlan returns the detail column of EXPLAIN QUERY PLAN q, with q's parameters bound
// to placeholder strings.
func explainQueryPlan(ctx context.Context, t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	args := make([]any, strings.Count(q, "?"))
	for i := range args {
		args[i] = `"x"`
	}
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// assertUsesIDIndex fails unless plan searches table through our index and scans nothing.
func assertUsesIDIndex(t *testing.T, what string, plan []string, table string) {
	t.Helper()
	want := "SEARCH " + table + " USING INDEX " + idIndexName(table) + " "
	var found bool
	for _, line := range plan {
		if strings.Contains(line, "SCAN") {
			t.Errorf("%s scans: %q", what, plan)
			return
		}
		found = found || strings.Contains(line, want)
	}
	if !found {
		t.Errorf("%s does not use index %s: %q", what, idIndexName(table), plan)
	}
}
