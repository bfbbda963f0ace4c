package realtime

import (
	"context"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
)

// readers remembers who may read which workspace, so that a join (every connect, every
// reconnect of a storm) does not read membership from the store each time. It is forgotten by
// the same audit entries that evict (a member removed, a workspace deleted: Hub.deliver, on
// every instance, whether or not it has the workspace's room), wholly when the bus may have lost
// entries (Hub.lost), and after readersTTL in any case.
//
// A removal racing a store read must not leave a stale "may read" behind: every forget moves an
// epoch, and an answer read before the latest forget is not kept.
type readers struct {
	clock clock.Clock

	mu    sync.Mutex
	epoch uint64
	until map[readerKey]time.Time
}

type readerKey struct{ workspaceID, userID string }

const (
	readersTTL = 30 * time.Second
	maxReaders = 100_000 // past it, everything is forgotten (one store read each to refill)
)

func newReaders(c clock.Clock) *readers {
	return &readers{clock: c, until: map[readerKey]time.Time{}}
}

// authorize reports whether uid may read wid: from memory when it was answered lately, else
// from az (only a yes is kept).
func (r *readers) authorize(ctx context.Context, az authz.Authorizer, wid, uid string) error {
	k := readerKey{wid, uid}
	r.mu.Lock()
	until, ok := r.until[k]
	epoch := r.epoch
	r.mu.Unlock()
	if ok && r.clock.Now().Before(until) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	if err := az.Authorize(ctx, wid, uid, authz.WorkspaceRead); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.epoch == epoch { // nothing was forgotten since the read began
		if len(r.until) >= maxReaders {
			clear(r.until)
		}
		r.until[k] = r.clock.Now().Add(readersTTL)
	}
	return nil
}

// forget drops what is known of uid in wid, or of everyone in wid when uid is "".
func (r *readers) forget(wid, uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.epoch++
	if uid != "" {
		delete(r.until, readerKey{wid, uid})
		return
	}
	for k := range r.until {
		if k.workspaceID == wid {
			delete(r.until, k)
		}
	}
}

// forgetAll drops everything.
func (r *readers) forgetAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.epoch++
	clear(r.until)
}
