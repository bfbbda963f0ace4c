package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", the one FerretDB itself uses
)

// Names and SQL below come from FerretDB v1.24.2's SQLite backend,
// internal/backends/sqlite/metadata (registry.go and metadata.go); TestIDIndex fails when an
// upgrade changes them.
const (
	// ferretMetadataTable is the table in each database file that maps collection names (column
	// name) to table names (column table_name): metadataTableName = "_ferretdb_" + "collections".
	ferretMetadataTable = "_ferretdb_collections"

	// idExpr is the expression FerretDB's by-_id SQL compares (WHERE <idExpr> = ? for a find whose
	// filter is exactly {_id: <string or ObjectID>}, every per-document UPDATE, and DELETE ... IN):
	// metadata.IDColumn = DefaultColumn + "->'$._id'", DefaultColumn = "_ferretdb_sjson". SQLite
	// only uses an expression index whose expression is the same, and FerretDB's own unique
	// index is on _ferretdb_sjson->"_id", which is not.
	idExpr = `_ferretdb_sjson->'$._id'`

	// idIndexPrefix names our index "wso_id_<table>". FerretDB names its indexes
	// "<table>_<index name>" (and table names end in a hash), so the two do not clash in practice;
	// ours does not show up in listIndexes, which reads FerretDB's metadata, not SQLite's schema.
	idIndexPrefix = "wso_id_"

	// idIndexInterval is how often the data directory is checked for collections without the
	// index. A collection is unindexed for at most this long after it is created.
	idIndexInterval = time.Second

	// idIndexBusyTimeout bounds how long a pass waits for FerretDB's write lock before giving up
	// until the next pass. FerretDB's own connections wait up to 10 s for ours, which is only
	// held for a CREATE INDEX: next to nothing on a new collection, about 50 ms on one that
	// already holds 20,000 documents (data written before the index existed).
	idIndexBusyTimeout = 250 * time.Millisecond
)

// idIndexName is the name of our _id expression index on a collection's table.
func idIndexName(table string) string { return idIndexPrefix + table }

// runIDIndexer calls ensureIDIndexes on dir right away and then every idIndexInterval until ctx
// is cancelled; it closes done when it returns.
func runIDIndexer(ctx context.Context, dir string, logger *slog.Logger, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(idIndexInterval)
	defer tick.Stop()
	for {
		ensureIDIndexes(ctx, dir, logger)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ensureIDIndexes gives every collection table of every database file in dir the _id
// expression index. Failures (a database or collection being created or dropped at that moment,
// FerretDB holding the write lock) are logged at debug and retried on the next pass.
func ensureIDIndexes(ctx context.Context, dir string, logger *slog.Logger) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		logger.DebugContext(ctx, "embedded store: list database files", "dir", dir, "err", err)
		return
	}
	for _, file := range files {
		if ctx.Err() != nil {
			return
		}
		created, err := ensureFileIDIndexes(ctx, file)
		for _, table := range created {
			logger.DebugContext(ctx, "embedded store: created _id index",
				"file", file, "table", table, "index", idIndexName(table))
		}
		if err != nil && ctx.Err() == nil {
			logger.DebugContext(ctx, "embedded store: _id index pass", "file", file, "err", err)
		}
	}
}

// ensureFileIDIndexes creates the missing _id indexes in one database file and returns the
// tables it indexed.
func ensureFileIDIndexes(ctx context.Context, file string) (created []string, err error) {
	// mode=rw: never create a file FerretDB has just dropped.
	dsn := (&url.URL{
		Scheme:   "file",
		Path:     file,
		RawQuery: fmt.Sprintf("mode=rw&_pragma=busy_timeout(%d)", idIndexBusyTimeout.Milliseconds()),
	}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// A pass holding a database open while FerretDB drops it keeps FerretDB's close from
	// checkpointing and deleting the WAL, so <db>.sqlite-wal and -shm may stay behind. They are
	// harmless: SQLite deletes a WAL it finds beside an empty database file, which is what a
	// database created again under that name starts as.
	defer func() { err = errors.Join(err, db.Close()) }()
	db.SetMaxOpenConns(1)

	tables, err := tablesWithoutIDIndex(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, table := range tables {
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)",
			quoteIdent(idIndexName(table)), quoteIdent(table), idExpr)
		if _, err := db.ExecContext(ctx, q); err != nil {
			// Most likely the collection was dropped since it was listed; whatever is left is
			// retried on the next pass.
			return created, fmt.Errorf("table %s: %w", table, err)
		}
		created = append(created, table)
	}
	return created, nil
}

// tablesWithoutIDIndex lists the collection tables of FerretDB's metadata table that have no
// index of ours yet.
func tablesWithoutIDIndex(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(
		`SELECT m.table_name FROM %s AS m WHERE NOT EXISTS (
			SELECT 1 FROM sqlite_master AS s WHERE s.type = 'index' AND s.name = ? || m.table_name)`,
		quoteIdent(ferretMetadataTable)), idIndexPrefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

// quoteIdent quotes an SQLite identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
