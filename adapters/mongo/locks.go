package mongo

import (
	"context"
	"errors"
	"hash/maphash"
	"time"

	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/platform/problem"
)

// The embedded store (FerretDB 1.24 on SQLite) runs every update and delete as a read, a
// filter match in Go, then a separate write of the whole document by _id, with no isolation
// between the two. Two compare-and-set updates of one document can therefore both match the
// old state, and the second write silently undoes the first (measured: six concurrent
// "decrement if ownerCount >= 2" calls on a count of 3 all succeeded). A real MongoDB applies
// each single-document update atomically and needs none of this.
//
// So every conditional write of a document that can change after it is created (a workspace's
// name and owner count, a membership's role) first takes that document's lock. That makes the
// compare-and-set real for all writers in this process, which is all of them when the store is
// embedded. It is always on (the code never asks which server it talks to) and costs a real
// MongoDB only the serialisation of writes to one document within one process.
var docLocks = newStripedLock(256)

// stripedLock is a fixed set of locks that keys hash onto. Two keys may share a lock: that only
// serialises them, and a holder never takes a second lock, so it cannot deadlock.
type stripedLock struct {
	seed    maphash.Seed
	stripes []chan struct{}
}

func newStripedLock(n int) *stripedLock {
	l := &stripedLock{seed: maphash.MakeSeed(), stripes: make([]chan struct{}, n)}
	for i := range l.stripes {
		l.stripes[i] = make(chan struct{}, 1)
	}
	return l
}

// lock takes the lock for one document, giving up when ctx is done or after OperationTimeout
// (a holder stuck on a server that stopped answering must not queue writers for longer than
// one operation may take), and returns its release.
func (l *stripedLock) lock(ctx context.Context, db, coll, id string) (unlock func(), err error) {
	s := l.stripes[maphash.String(l.seed, db+"\x00"+coll+"\x00"+id)%uint64(len(l.stripes))]
	wait := time.NewTimer(OperationTimeout)
	defer wait.Stop()
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-wait.C:
		return nil, problem.StoreDown(errors.New("the document lock was held for longer than an operation may take"))
	}
}

// lockDoc takes docLocks' lock for the document id of coll.
func lockDoc(ctx context.Context, coll *mongodriver.Collection, id string) (unlock func(), err error) {
	unlock, err = docLocks.lock(ctx, coll.Database().Name(), coll.Name(), id)
	if err != nil {
		return nil, storeError("mongo: wait for %s document lock: %w", coll.Name(), err)
	}
	return unlock, nil
}
