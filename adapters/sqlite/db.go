package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FileName is the database file inside the data directory; LockName the file whose lock says
// which process owns the directory (the database's own -wal and -shm files sit beside them);
// ContentDir the directory of the documents' content.
const (
	FileName   = "workspaceops.db"
	LockName   = "workspaceops.lock"
	ContentDir = "content"
)

// legacyDir is where the embedded FerretDB store of earlier versions kept its files.
const legacyDir = "store"

// ErrLegacyStore reports a data directory written by the embedded FerretDB store of earlier
// versions, which this version does not read.
var ErrLegacyStore = errors.New("sqlite: the data directory holds the old embedded (FerretDB) store")

// ErrLocked reports a data directory already owned by another running process.
var ErrLocked = errors.New("sqlite: the data directory is in use by another process")

// Options configure Open.
type Options struct {
	// Dir is the data directory; it is created when missing.
	Dir string
	// ReadConns is the size of the read pool (default 4).
	ReadConns int
	// BusyTimeout is how long a statement waits for a lock held by another connection
	// (default 10 s). Writes of this process queue on their one connection instead.
	BusyTimeout time.Duration
}

// DB is the open database: one connection for writes, a small pool for reads, and the lock
// on the data directory.
type DB struct {
	w, r   *sql.DB
	path   string
	unlock func() error
	// contentDir holds the blobs' files, tmpDir the uploads in progress.
	contentDir, tmpDir string

	// observe, when set (tests), is told every statement before it runs: the query-plan test
	// explains each one. An atomic load per statement, no lock, on the hot path.
	observe atomic.Pointer[func(query string, args []any)]

	// stmts are the statements prepared once on the writer (w) and the read pool (r).
	stmts struct {
		mu    sync.Mutex
		w, r  map[string]*sql.Stmt
		later map[string]struct{} // run in a transaction before they were kept: prepareLater
	}
}

// Open locks dir, opens (or creates) its database, applies pending migrations and returns it.
// It refuses a directory another process holds (ErrLocked), one left by the old embedded store
// (ErrLegacyStore), and a database written by a newer binary (ErrSchemaTooNew).
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Dir == "" {
		return nil, errors.New("sqlite: a data directory is required")
	}
	if opts.ReadConns < 1 {
		opts.ReadConns = 4
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 10 * time.Second
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, storeError("sqlite: data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, storeError("sqlite: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := refuseLegacy(dir, path); err != nil {
		return nil, err
	}
	unlock, err := lockDir(filepath.Join(dir, LockName))
	if err != nil {
		return nil, err
	}
	d := &DB{path: path, unlock: unlock, contentDir: filepath.Join(dir, ContentDir), tmpDir: filepath.Join(dir, ContentDir, "tmp")}
	d.stmts.w, d.stmts.r, d.stmts.later = map[string]*sql.Stmt{}, map[string]*sql.Stmt{}, map[string]struct{}{}
	if err := os.MkdirAll(d.tmpDir, 0o700); err != nil {
		_ = unlock()
		return nil, storeError("sqlite: create content directory: %w", err)
	}
	if err := d.open(ctx, opts); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) open(ctx context.Context, opts Options) error {
	busy := fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds())
	// synchronous=NORMAL in WAL mode: a commit is durable against a process crash at once and
	// against a power loss from the next checkpoint (the README states it); it saves an fsync
	// per commit.
	common := []string{busy, "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)", "cache_size(-16384)"}
	var err error
	// The writer opens first: it sets WAL mode (persistent in the file) and migrates.
	if d.w, err = sql.Open("sqlite", dsn(d.path, append([]string{"journal_mode(WAL)"}, common...), "immediate")); err != nil {
		return storeError("sqlite: open %s: %w", d.path, err)
	}
	d.w.SetMaxOpenConns(1)
	d.w.SetMaxIdleConns(1)
	d.w.SetConnMaxLifetime(0)
	d.w.SetConnMaxIdleTime(0)
	if err := d.w.PingContext(ctx); err != nil {
		return storeError("sqlite: open %s: %w", d.path, err)
	}
	if err := migrate(ctx, d.w); err != nil {
		return err
	}
	if d.r, err = sql.Open("sqlite", dsn(d.path, append(common, "query_only(1)"), "deferred")); err != nil {
		return storeError("sqlite: open %s for reading: %w", d.path, err)
	}
	d.r.SetMaxOpenConns(opts.ReadConns)
	d.r.SetMaxIdleConns(opts.ReadConns)
	d.r.SetConnMaxIdleTime(0)
	if err := d.r.PingContext(ctx); err != nil {
		return storeError("sqlite: open %s for reading: %w", d.path, err)
	}
	return d.removePendingFiles(ctx)
}

// dsn is the driver's file URI with its pragmas, run on every new connection.
func dsn(path string, pragmas []string, txlock string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	return (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
}

// refuseLegacy stops a start on a directory where the old embedded FerretDB store kept its data
// and no SQLite database exists yet: starting would look like an empty service.
func refuseLegacy(dir, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(dir, legacyDir))
	if err != nil || len(entries) == 0 {
		return nil
	}
	return fmt.Errorf("%w in %s. This version keeps its data in SQLite (%s) and does not read it. "+
		"To keep serving that data, run it as a MongoDB-compatible server with `go run ./cmd/devstore -data-dir %s` "+
		"and start this binary with MONGO_URI pointing at it; to start afresh, set WSO_DATA_DIR to another "+
		"directory (or move %s away)", ErrLegacyStore, filepath.Join(dir, legacyDir), FileName,
		filepath.Join(dir, legacyDir), filepath.Join(dir, legacyDir))
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Ping checks that the database answers a read (readiness probes).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return storeError("sqlite: ping: %w", err)
	}
	return nil
}

// Close checkpoints and closes the database, then releases the directory.
func (d *DB) Close() error {
	var errs []error
	d.stmts.mu.Lock()
	for _, m := range []map[string]*sql.Stmt{d.stmts.w, d.stmts.r} {
		for q, st := range m {
			errs = append(errs, st.Close())
			delete(m, q)
		}
	}
	d.stmts.mu.Unlock()
	if d.r != nil {
		errs = append(errs, d.r.Close())
	}
	if d.w != nil {
		// Fold the WAL back into the database so the file alone holds everything.
		_, _ = d.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, d.w.Close())
	}
	if d.unlock != nil {
		errs = append(errs, d.unlock())
	}
	if err := errors.Join(errs...); err != nil {
		return storeError("sqlite: close: %w", err)
	}
	return nil
}

// Observe sets a function told every statement before it runs (tests explain them all).
func (d *DB) Observe(f func(query string, args []any)) { d.observe.Store(&f) }

func (d *DB) seen(query string, args []any) {
	if f := d.observe.Load(); f != nil {
		(*f)(query, args)
	}
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (d *DB) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	d.seen(query, args)
	return d.prepared(ctx, q, query).ExecContext(ctx, query, args...)
}

func (d *DB) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	d.seen(query, args)
	return d.prepared(ctx, q, query).QueryContext(ctx, query, args...)
}

func (d *DB) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	d.seen(query, args)
	return d.prepared(ctx, q, query).QueryRowContext(ctx, query, args...)
}

// maxStmts bounds the statements kept prepared per pool: the queries are constants or built from
// a few filters, and one built from input beyond that (a long id list) is parsed each time.
const maxStmts = 256

// prepared is q with query prepared once and kept: parsing and planning a statement costs
// more than running most of them (a by-id read or the audit append: about three quarters of the
// statement's time in a profile). database/sql prepares a kept statement again, once, on each
// connection of the pool it runs on. q itself answers when the statement is not prepared yet in
// a transaction (the writer's one connection is the transaction's: it is prepared after it,
// prepareLater), cannot be prepared (its error comes with the call) or the cache is full.
func (d *DB) prepared(ctx context.Context, q querier, query string) querier {
	var (
		db    *sql.DB
		cache map[string]*sql.Stmt
		tx    *sql.Tx
	)
	switch v := q.(type) {
	case *sql.Tx: // only the writer runs transactions (tx)
		db, cache, tx = d.w, d.stmts.w, v
	case *sql.DB:
		db, cache = v, d.stmts.r
		if v == d.w {
			cache = d.stmts.w
		}
	default:
		return q
	}
	d.stmts.mu.Lock()
	st, full := cache[query], len(cache) >= maxStmts
	if st == nil && tx != nil && !full {
		d.stmts.later[query] = struct{}{}
	}
	d.stmts.mu.Unlock()
	switch {
	case st == nil && (tx != nil || full):
		return q
	case st == nil:
		if st = d.prepare(ctx, db, cache, query); st == nil {
			return q
		}
	}
	if tx != nil {
		return stmtQuerier{tx.StmtContext(ctx, st)}
	}
	return stmtQuerier{st}
}

// prepare prepares query on db and keeps it in cache (nil: not kept). The lock is not held
// while preparing: that may wait for a connection, and the writer's is held by a transaction
// that may itself be looking a statement up.
func (d *DB) prepare(ctx context.Context, db *sql.DB, cache map[string]*sql.Stmt, query string) *sql.Stmt {
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	if kept, ok := cache[query]; ok {
		_ = st.Close()
		return kept
	}
	if len(cache) >= maxStmts {
		_ = st.Close()
		return nil
	}
	cache[query] = st
	return st
}

// prepareLater prepares on the writer the statements a transaction ran unprepared.
func (d *DB) prepareLater(ctx context.Context) {
	d.stmts.mu.Lock()
	later := d.stmts.later
	if len(later) == 0 {
		d.stmts.mu.Unlock()
		return
	}
	d.stmts.later = map[string]struct{}{}
	d.stmts.mu.Unlock()
	for query := range later {
		d.prepare(ctx, d.w, d.stmts.w, query)
	}
}

// stmtQuerier runs a prepared statement through the querier interface (its query argument is
// the statement's own).
type stmtQuerier struct{ st *sql.Stmt }

func (s stmtQuerier) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}

func (s stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s stmtQuerier) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}

// tx runs fn in one write transaction (BEGIN IMMEDIATE on the writer connection), committing
// when it returns nil.
func (d *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return storeError("sqlite: begin: %w", err)
	}
	defer d.prepareLater(ctx)
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return storeError("sqlite: commit: %w", err)
	}
	return nil
}

// each runs the query on q and calls scan for every row.
func (d *DB) each(ctx context.Context, q querier, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := d.query(ctx, q, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// placeholders is "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ms and fromMs convert between times and the stored Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func msPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMsPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMs(v.Int64)
	return &t
}

// msCeil rounds t up to a whole millisecond: "stored < t" on truncated milliseconds must
// compare with the next millisecond when t has a fraction of one, to keep a stored time equal
// to t's truncation (which is before t).
func msCeil(t time.Time) int64 {
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return t.UnixMilli() + 1 // UnixMilli rounds down: nanoseconds are never negative
	}
	return t.UnixMilli()
}
