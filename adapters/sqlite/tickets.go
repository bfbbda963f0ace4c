package sqlite

import (
	"context"
	"sync/atomic"
	"time"
)

// TicketRedemptions records used SSE tickets (the realtime layer's Redemptions port): the
// primary key refuses a second use.
type TicketRedemptions struct {
	db        *DB
	lastPurge atomic.Int64 // Unix seconds
}

// NewTicketRedemptions returns the record on db.
func NewTicketRedemptions(db *DB) *TicketRedemptions { return &TicketRedemptions{db: db} }

// purgeEvery spaces the deletions of expired records.
const purgeEvery = time.Minute

// Redeem records id as used until until; it reports false when id was used before.
func (r *TicketRedemptions) Redeem(ctx context.Context, id string, until time.Time) (bool, error) {
	r.purge(ctx, time.Now())
	_, err := r.db.exec(ctx, r.db.w, "INSERT INTO sse_tickets_used (id, until) VALUES (?, ?)", id, ms(until))
	switch {
	case isUnique(err):
		return false, nil
	case err != nil:
		return false, storeError("sqlite: record a used ticket: %w", err)
	}
	return true, nil
}

// purge deletes the records of expired tickets, at most once per purgeEvery; failing only
// leaves them for the next time.
func (r *TicketRedemptions) purge(ctx context.Context, now time.Time) {
	last := r.lastPurge.Load()
	if now.Unix()-last < int64(purgeEvery/time.Second) || !r.lastPurge.CompareAndSwap(last, now.Unix()) {
		return
	}
	_, _ = r.db.exec(ctx, r.db.w, "DELETE FROM sse_tickets_used WHERE until < ?", ms(now))
}
