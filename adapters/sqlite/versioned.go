package sqlite

import (
	"context"
	"database/sql"

	"github.com/workspaceops/workspaceops/platform/versioned"
)

// updateVersioned is the Update of every versioned repository: the compare-and-set of
// platform/versioned in one write transaction. get loads the entity of the workspace (its
// not-found error ends the update); replace runs the UPDATE conditional on loaded's version and
// reports whether it matched. Writes are serialised, so between load and replace there is no
// other writer: it never loses a race and never retries. replace stays conditional all the same,
// so a write that bypassed this path is reported as conflict rather than silently undone.
// change runs inside the transaction and must not use the store.
func updateVersioned[T any, P versioned.Entity[T]](ctx context.Context, db *DB, workspaceID, id string,
	get func(ctx context.Context, q querier, workspaceID, id string) (T, error),
	replace func(ctx context.Context, tx *sql.Tx, loaded, next T) (bool, error),
	conflict error, change func(*T) (bool, error),
) (T, bool, error) {
	var (
		result T
		wrote  bool
	)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		result, wrote, err = versioned.Update[T, P](versioned.Store[T]{
			Load:     func() (T, error) { return get(ctx, tx, workspaceID, id) },
			Replace:  func(loaded, next T) (bool, error) { return replace(ctx, tx, loaded, next) },
			Conflict: conflict,
		}, change)
		return err
	})
	if err != nil {
		var zero T
		return zero, false, err
	}
	return result, wrote, nil
}

// matchedOne reads the outcome of a conditional UPDATE of one row (what names the row for the
// error): whether it matched, false meaning the version had moved.
func matchedOne(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, storeError("sqlite: update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, storeError("sqlite: update %s: %w", what, err)
	}
	return n == 1, nil
}
