//go:build !unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// lockDir creates the lock file exclusively where advisory locks are not available: a crash
// leaves it behind, and the message says to remove it.
func lockDir(path string) (release func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: %s exists (remove it if no process runs on this directory)", ErrLocked, path)
		}
		return nil, storeError("sqlite: create lock file: %w", err)
	}
	return func() error { return errors.Join(f.Close(), os.Remove(path)) }, nil
}
