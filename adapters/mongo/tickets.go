package mongo

import (
	"context"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
)

// TicketRedemptions records used SSE tickets (the realtime adapter's Redemptions port) for
// every instance sharing the database: the _id is the ticket's id, so a second use is refused
// by the unique key on any instance, atomically also on the embedded store.
type TicketRedemptions struct {
	coll      *mongodriver.Collection
	lastPurge atomic.Int64 // Unix seconds
}

// NewTicketRedemptions returns the record on db.
func NewTicketRedemptions(db *mongodriver.Database) *TicketRedemptions {
	return &TicketRedemptions{coll: db.Collection(ticketsColl)}
}

// purgeEvery spaces the deletions of expired records. A TTL index would do it on MongoDB, but
// the embedded store has none, so the records are deleted here, on both.
const (
	purgeEvery  = time.Minute
	purgeMargin = 5 * time.Minute
)

type ticketDoc struct {
	ID    string    `bson:"_id"`
	Until time.Time `bson:"until"`
}

// Redeem records id as used until until; it reports false when id was used before.
func (r *TicketRedemptions) Redeem(ctx context.Context, id string, until time.Time) (bool, error) {
	r.purge(ctx, time.Now())
	_, err := r.coll.InsertOne(ctx, ticketDoc{ID: id, Until: until.UTC()})
	if isDuplicateKey(err) {
		return false, nil
	}
	if err != nil {
		return false, storeError("mongo: record a used ticket: %w", err)
	}
	return true, nil
}

// purge deletes the records of expired tickets, at most once per purgeEvery per process;
// failing only leaves them for the next time.
func (r *TicketRedemptions) purge(ctx context.Context, now time.Time) {
	last := r.lastPurge.Load()
	if now.Unix()-last < int64(purgeEvery/time.Second) || !r.lastPurge.CompareAndSwap(last, now.Unix()) {
		return
	}
	// A margin for clock skew between instances: a record is kept until the ticket has expired
	// on every clock.
	_, _ = r.coll.DeleteMany(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: now.Add(-purgeMargin).UTC()}}}})
}
