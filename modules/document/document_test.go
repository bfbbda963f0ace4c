package document_test

import (
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/document"
)

func TestCloneSharesNothing(t *testing.T) {
	expires := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		doc  document.Document
	}{
		{"never expires", document.Document{ID: "d1", Title: "A"}},
		{"expires", document.Document{ID: "d1", Title: "A", ExpiresAt: &expires}},
	} {
		t.Run(c.name, func(t *testing.T) {
			orig := c.doc
			clone := orig.Clone()
			if clone.ID != orig.ID || clone.Title != orig.Title || (clone.ExpiresAt == nil) != (orig.ExpiresAt == nil) {
				t.Fatalf("clone %+v differs from %+v", clone, orig)
			}
			if clone.ExpiresAt != nil {
				*clone.ExpiresAt = expires.Add(time.Hour)
				if !orig.ExpiresAt.Equal(expires) {
					t.Errorf("changing the clone's expiry changed the original's to %v", orig.ExpiresAt)
				}
			}
		})
	}
}
