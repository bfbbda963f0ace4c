package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew reports a database written by a newer binary, whose schema this one does not
// know.
var ErrSchemaTooNew = errors.New("sqlite: the database was written by a newer version of workspaceops")

// migration is one numbered schema step, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded steps in order; their numbers must run 1, 2, 3, ...
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlite: migration %s: the name must start with its number", base)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migrations must be numbered 1, 2, 3, ...: %s is number %d", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema this binary writes: the number of its last migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate applies every migration above the database's version (PRAGMA user_version), each in
// its own transaction together with the new version, so a failed step leaves the database at
// the previous one. Forward only: a database ahead of this binary is refused.
func migrate(ctx context.Context, db *sql.DB) error {
	steps, err := migrations()
	if err != nil {
		return err
	}
	return migrateWith(ctx, db, steps)
}

func migrateWith(ctx context.Context, db *sql.DB, steps []migration) error {
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return storeError("sqlite: read schema version: %w", err)
	}
	if latest := len(steps); current > latest {
		return fmt.Errorf("%w: its schema is version %d, this binary knows up to %d; run the newer binary", ErrSchemaTooNew, current, latest)
	}
	for _, m := range steps[current:] {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return storeError("sqlite: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			_ = tx.Rollback()
			return storeError("sqlite: migration %s: %w", m.name, err)
		}
		// PRAGMA takes no parameters; the version is an int from the file name.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			_ = tx.Rollback()
			return storeError("sqlite: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return storeError("sqlite: migration %s: %w", m.name, err)
		}
	}
	return nil
}
