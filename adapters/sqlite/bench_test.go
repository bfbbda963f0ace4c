package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/adapters/sqlite"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// The store micro-benchmarks measure each hot operation of a repository on one workspace
// holding 1,000, 10,000 and 50,000 work items (as many audit entries, 100 members and 1,000
// documents), to show how the cost grows: an indexed operation should stay flat.
//
//	go test -run '^$' -bench . -benchtime 2000x ./adapters/sqlite/
var benchSizes = []int{1_000, 10_000, 50_000}

// benchStore is one seeded database, shared by the benchmarks of its size.
type benchStore struct {
	db      *sqlite.DB
	wid     string
	itemIDs []string
	userIDs []string
	docIDs  []string
}

var (
	benchMu     sync.Mutex
	benchStores = map[int]*benchStore{}
)

// seeded returns the database of size n, seeding it on first use (outside the timings).
func seeded(b *testing.B, n int) *benchStore {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchStores[n]; ok {
		return s
	}
	dir, err := os.MkdirTemp("", "sqlite-bench-")
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchStore{db: db, wid: ids.New()}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ws := sqlite.NewWorkspaces(db)
	for i := range 100 {
		uid := ids.New()
		s.userIDs = append(s.userIDs, uid)
		m := workspace.Membership{WorkspaceID: s.wid, UserID: uid, Role: workspace.Member, JoinedAt: t0}
		if i == 0 {
			m.Role = workspace.Owner
			if err := ws.CreateWorkspace(ctx, workspace.Workspace{ID: s.wid, Name: "bench", CreatedBy: uid, CreatedAt: t0, UpdatedAt: t0, OwnerCount: 1}, m); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if err := ws.AddMember(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	items, audit, docs := sqlite.NewWorkItems(db), sqlite.NewAuditLog(db), sqlite.NewDocuments(db)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute)
		w := workitem.WorkItem{
			ID: ids.New(), WorkspaceID: s.wid, Title: fmt.Sprintf("Work item %d", i), Description: "seeded",
			Status: workitem.Statuses()[rng.IntN(3)], Priority: workitem.Priorities()[rng.IntN(4)],
			Tags: []string{fmt.Sprint("tag", rng.IntN(20))}, DocumentIDs: []string{}, CreatedBy: s.userIDs[0],
			CreatedAt: at, UpdatedAt: at, Version: 1,
		}
		if rng.IntN(3) > 0 {
			due := at.Add(time.Duration(rng.IntN(60*24)) * time.Hour)
			w.DueDate = &due
		}
		if rng.IntN(2) == 0 {
			w.AssigneeID = s.userIDs[rng.IntN(len(s.userIDs))]
		}
		if err := items.Create(ctx, w); err != nil {
			b.Fatal(err)
		}
		s.itemIDs = append(s.itemIDs, w.ID)
		if _, err := audit.Append(ctx, auditEntry(s.wid, w.ID, at)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1_000 {
		at := t0.Add(time.Duration(i) * time.Minute)
		exp := at.Add(90 * 24 * time.Hour)
		d := document.Document{
			ID: ids.New(), WorkspaceID: s.wid, Name: fmt.Sprintf("file-%d.pdf", i), Title: "File", Size: 1, ContentType: "application/pdf",
			SHA256: "00", BlobID: ids.New(), UploadedBy: s.userIDs[0], CreatedAt: at, UpdatedAt: at, ExpiresAt: &exp,
			ExpiryStatus: document.Valid, Version: 1,
		}
		if err := docs.Create(ctx, d); err != nil {
			b.Fatal(err)
		}
		s.docIDs = append(s.docIDs, d.ID)
	}
	benchStores[n] = s
	return s
}

func auditEntry(wid, target string, at time.Time) auditlog.Entry {
	return auditlog.Entry{
		WorkspaceID: wid, Action: "WORK_ITEM_CREATED", Event: events.WorkItemCreated, TargetType: events.TargetWorkItem,
		TargetID: target, ActorID: "actor", At: at, Data: map[string]any{"title": "seeded"},
	}
}

// bySize runs f as one sub-benchmark per size.
func bySize(b *testing.B, f func(b *testing.B, s *benchStore)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			s := seeded(b, n)
			b.ResetTimer()
			f(b, s)
		})
	}
}

func BenchmarkWorkItems(b *testing.B) {
	b.Run("get", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewWorkItems(s.db)
			for i := range b.N {
				if _, err := r.Get(ctx, s.wid, s.itemIDs[i%len(s.itemIDs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	lists := map[string]workitem.Query{
		"list page":             {Sort: workitem.SortCreatedAt, Desc: true, Limit: 50},
		"list page by status":   {Filter: workitem.Filter{Statuses: []workitem.Status{workitem.Active}}, Sort: workitem.SortCreatedAt, Desc: true, Limit: 50},
		"list page by due date": {Sort: workitem.SortDueDate, Limit: 50},
		"list page by tag":      {Filter: workitem.Filter{Tag: "tag7"}, Sort: workitem.SortCreatedAt, Desc: true, Limit: 50},
	}
	for name, q := range lists {
		b.Run(name, func(b *testing.B) {
			bySize(b, func(b *testing.B, s *benchStore) {
				r := sqlite.NewWorkItems(s.db)
				for range b.N {
					page, err := r.List(ctx, s.wid, q)
					if err != nil || len(page) == 0 {
						b.Fatal(len(page), err)
					}
				}
			})
		})
	}
	b.Run("status change", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewWorkItems(s.db)
			now := time.Now()
			for i := range b.N {
				_, _, err := r.Update(ctx, s.wid, s.itemIDs[i%len(s.itemIDs)], func(w *workitem.WorkItem) (bool, error) {
					w.Status, w.UpdatedAt = workitem.Active, now
					if w.Status == workitem.Active {
						w.Status = workitem.Draft
					}
					return true, nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("create", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewWorkItems(s.db)
			now := time.Now().UTC()
			for range b.N {
				w := workitem.WorkItem{ID: ids.New(), WorkspaceID: s.wid, Title: "new", Status: workitem.Draft, Priority: workitem.Medium,
					Tags: []string{"new"}, CreatedBy: s.userIDs[0], CreatedAt: now, UpdatedAt: now, Version: 1}
				if err := r.Create(ctx, w); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("overview counts", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewWorkItems(s.db)
			now := time.Now()
			for range b.N {
				if _, err := r.Counts(ctx, s.wid, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkAuditLog(b *testing.B) {
	b.Run("append", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewAuditLog(s.db)
			for range b.N {
				if _, err := r.Append(ctx, auditEntry(s.wid, "item", time.Now())); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("head", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewAuditLog(s.db)
			for range b.N {
				if _, err := r.Head(ctx, s.wid); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("page", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewAuditLog(s.db)
			for range b.N {
				if page, err := r.List(ctx, s.wid, auditlog.Query{Limit: 50}); err != nil || len(page) != 50 {
					b.Fatal(len(page), err)
				}
			}
		})
	})
	b.Run("since 10 behind", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewAuditLog(s.db)
			head, err := r.Head(ctx, s.wid)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if got, err := r.Since(ctx, s.wid, head-10, 100); err != nil || len(got) < 10 {
					b.Fatal(len(got), err)
				}
			}
		})
	})
}

func BenchmarkWorkspaces(b *testing.B) {
	b.Run("member lookup", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewWorkspaces(s.db)
			for i := range b.N {
				if _, err := r.Member(ctx, s.wid, s.userIDs[i%len(s.userIDs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkDocuments(b *testing.B) {
	b.Run("get", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewDocuments(s.db)
			for i := range b.N {
				if _, err := r.Get(ctx, s.wid, s.docIDs[i%len(s.docIDs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("list page", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewDocuments(s.db)
			for range b.N {
				if page, err := r.List(ctx, s.wid, document.Query{Limit: 50}); err != nil || len(page) != 50 {
					b.Fatal(len(page), err)
				}
			}
		})
	})
	b.Run("count by expiry", func(b *testing.B) {
		bySize(b, func(b *testing.B, s *benchStore) {
			r := sqlite.NewDocuments(s.db)
			for range b.N {
				if _, err := r.CountByExpiryStatus(ctx, s.wid); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
