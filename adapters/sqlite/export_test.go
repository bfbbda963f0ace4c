package sqlite

import (
	"context"
	"database/sql"
)

// MigrateUpTo applies the migrations up to version n to the database file at path, as a binary
// of that version would (tests of later migrations on data written before them).
func MigrateUpTo(ctx context.Context, path string, n int) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	steps, err := migrations()
	if err != nil {
		return err
	}
	return migrateWith(ctx, db, steps[:n])
}
