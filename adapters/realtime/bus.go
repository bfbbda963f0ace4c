package realtime

import (
	"context"
	"sync"

	"github.com/workspaceops/workspaceops/modules/auditlog"
)

// Bus carries every appended audit entry from the instance that appended it to the hub of
// every instance. Its publishing side is the audit log's Broadcaster port; a hub subscribes to
// the other side. The order entries arrive in does not matter (hubs order by seq and fill gaps
// from the log), nor does a duplicate.
//
// LocalBus, in-process, is the default for one instance; a bus over NATS (one subject per
// workspace) implements the same port for several instances.
type Bus interface {
	auditlog.Broadcaster
	// Subscribe calls deliver for every entry published from now on, until cancel is called,
	// and lost whenever entries may have been missed (a network bus that reconnected, dropped
	// a message, or is down): the subscriber then re-reads the log. Neither may block.
	Subscribe(deliver func(auditlog.Entry), lost func()) (cancel func())
	// Ready reports whether entries published by other instances reach this one.
	Ready(ctx context.Context) error
}

// LocalBus hands entries to the subscribers of this process, synchronously.
type LocalBus struct {
	mu   sync.RWMutex
	subs map[int]func(auditlog.Entry)
	next int
}

// NewLocalBus returns an in-process bus.
func NewLocalBus() *LocalBus { return &LocalBus{subs: map[int]func(auditlog.Entry){}} }

var _ Bus = (*LocalBus)(nil)

// Broadcast publishes an appended entry.
func (b *LocalBus) Broadcast(_ context.Context, e auditlog.Entry) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, deliver := range b.subs {
		deliver(e)
	}
}

// Ready is always nil: there is no other instance to hear from.
func (b *LocalBus) Ready(context.Context) error { return nil }

// Subscribe registers deliver; an in-process bus never loses an entry, so lost is not called.
func (b *LocalBus) Subscribe(deliver func(auditlog.Entry), _ func()) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.subs[id] = deliver
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}
