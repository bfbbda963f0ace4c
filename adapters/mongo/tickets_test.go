package mongo_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
)

// Two instances (two repositories on one database) racing to use the same tickets: each
// ticket is used exactly once.
func TestTicketRedemptionsOncePerTicket(t *testing.T) {
	db := indexedDatabase(t)
	a, b := mongo.NewTicketRedemptions(db), mongo.NewTicketRedemptions(db)
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	for _, id := range []string{"t1", "t2", "t3"} {
		var firsts atomic.Int32
		var wg sync.WaitGroup
		for i := range 6 {
			r := a
			if i%2 == 1 {
				r = b
			}
			wg.Go(func() {
				ok, err := r.Redeem(ctx, id, until)
				if err != nil {
					t.Error(err)
				}
				if ok {
					firsts.Add(1)
				}
			})
		}
		wg.Wait()
		if n := firsts.Load(); n != 1 {
			t.Fatalf("ticket %s used %d times, want once", id, n)
		}
	}
}

// The records of tickets expired for a while are deleted (no TTL index on the embedded store).
func TestTicketRedemptionsPurgeExpired(t *testing.T) {
	db := indexedDatabase(t)
	r := mongo.NewTicketRedemptions(db)
	ctx := context.Background()
	if ok, err := r.Redeem(ctx, "old", time.Now().Add(-10*time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// A new process purges on its first use.
	if ok, err := mongo.NewTicketRedemptions(db).Redeem(ctx, "new", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	n, err := db.Collection("sseTicketsUsed").CountDocuments(ctx, bson.D{})
	if err != nil || n != 1 {
		t.Fatalf("%d records left (%v), want only the live one", n, err)
	}
}
