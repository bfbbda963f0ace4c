package mongo

import (
	"context"
	"errors"
	"fmt"

	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/platform/problem"
)

// isNoDocuments reports a FindOne or FindOneAndX that matched nothing.
func isNoDocuments(err error) bool { return errors.Is(err, mongodriver.ErrNoDocuments) }

// isDuplicateKey reports an insert refused by a unique index (the _id one included). Each
// collection has one business key whose _id is either that key or a random 96-bit id, so any
// duplicate means the business key is taken.
func isDuplicateKey(err error) bool { return mongodriver.IsDuplicateKeyError(err) }

// storeError is fmt.Errorf for the adapter's errors. A failure to reach the server or to hear
// back from it in time (a network error, a timeout: the server is down, frozen or cut off) is
// also marked as problem.ErrStoreUnavailable, so clients get 503 with Retry-After while the log
// keeps the detail.
func storeError(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if mongodriver.IsNetworkError(err) || mongodriver.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return problem.StoreDown(err)
	}
	return err
}
