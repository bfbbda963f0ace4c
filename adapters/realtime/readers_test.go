package realtime

import (
	"context"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
)

// countingAuthz answers from members and counts the store reads; during, when set, runs inside
// a read (a removal landing while it is in flight).
type countingAuthz struct {
	members map[string]bool // wid+"/"+uid
	reads   int
	during  func()
}

func (z *countingAuthz) Authorize(_ context.Context, wid, uid string, _ authz.Action) error {
	z.reads++
	if z.during != nil {
		z.during()
	}
	if !z.members[wid+"/"+uid] {
		return apperr.New(apperr.NotFound, "workspace_not_found", "no such workspace")
	}
	return nil
}

func TestReadersRememberAYesUntilForgotten(t *testing.T) {
	clk := clock.NewManual(time.Now())
	r := newReaders(clk)
	z := &countingAuthz{members: map[string]bool{"w1/ann": true, "w1/bob": true, "w2/ann": true}}
	ctx := context.Background()
	reads := func(want int, wid, uid string, allowed bool) {
		t.Helper()
		err := r.authorize(ctx, z, wid, uid)
		if (err == nil) != allowed || z.reads != want {
			t.Fatalf("%s in %s: err %v after %d store reads, want allowed=%v after %d", uid, wid, err, z.reads, allowed, want)
		}
	}
	reads(1, "w1", "ann", true)
	reads(1, "w1", "ann", true) // remembered
	reads(2, "w1", "eve", false)
	reads(3, "w1", "eve", false) // a no is never remembered
	reads(4, "w1", "bob", true)
	reads(5, "w2", "ann", true)

	z.members["w1/ann"] = false
	r.forget("w1", "ann") // ann removed from w1
	reads(6, "w1", "ann", false)
	reads(6, "w1", "bob", true) // others stay
	r.forget("w1", "")          // w1 deleted
	reads(7, "w1", "bob", true)
	reads(7, "w2", "ann", true) // another workspace stays

	clk.Advance(readersTTL)
	reads(8, "w2", "ann", true) // expired
	r.forgetAll()
	reads(9, "w2", "ann", true)

	// A removal that lands while the store is read: the yes read before it is not kept.
	z.during = func() { r.forget("w2", "zed") }
	z.members["w2/zed"] = true
	reads(10, "w2", "zed", true)
	z.during = nil
	reads(11, "w2", "zed", true)
	reads(11, "w2", "zed", true)
}
