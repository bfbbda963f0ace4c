package sqlite

import (
	"context"
	"errors"
	"fmt"

	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/workspaceops/workspaceops/platform/problem"
)

// isUnique reports a write refused by a PRIMARY KEY or UNIQUE constraint.
func isUnique(err error) bool {
	var e *driver.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// storeError is fmt.Errorf for the adapter's errors. A write that waited out busy_timeout
// behind another process's lock, or a statement past its context's deadline, is also marked as
// problem.ErrStoreUnavailable: clients get 503 with Retry-After, the log keeps the detail.
func storeError(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	var e *driver.Error
	if errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED) ||
		errors.Is(err, context.DeadlineExceeded) {
		return problem.StoreDown(err)
	}
	return err
}
