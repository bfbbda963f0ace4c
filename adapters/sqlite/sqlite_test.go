package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/adapters/sqlite"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/apikey/apikeytest"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/auditlog/auditlogtest"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/document/documenttest"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/idempotency/idempotencytest"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/identity/identitytest"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/webhook/webhooktest"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workitem/workitemtest"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/modules/workspace/workspacetest"

	_ "modernc.org/sqlite"
)

var ctx = context.Background()

// open returns a fresh database in a temporary directory, closed when the test ends.
func open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// statements collects every distinct statement the adapter ran, with the arguments of its
// first run, for the query-plan check.
type statements struct {
	mu   sync.Mutex
	seen map[string][]any
}

func (s *statements) observe(db *sqlite.DB) *sqlite.DB {
	db.Observe(func(query string, args []any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.seen[query]; !ok {
			s.seen[query] = slices.Clone(args)
		}
	})
	return db
}

// TestContracts runs every port's contract suite against the adapter, then checks the plan of
// every statement those runs issued: none may scan a table or sort in a temporary B-tree, so
// no query slows down as a table grows beyond what it returns.
func TestContracts(t *testing.T) {
	st := &statements{seen: map[string][]any{}}
	db := func(t *testing.T) *sqlite.DB { return st.observe(open(t)) }
	t.Run("users", func(t *testing.T) {
		identitytest.RepositoryContract(t, func(t *testing.T) identity.Repository { return sqlite.NewUsers(db(t)) })
	})
	t.Run("workspaces", func(t *testing.T) {
		workspacetest.RepositoryContract(t, func(t *testing.T) workspace.Repository { return sqlite.NewWorkspaces(db(t)) })
	})
	t.Run("work items", func(t *testing.T) {
		workitemtest.RepositoryContract(t, func(t *testing.T) workitem.Repository { return sqlite.NewWorkItems(db(t)) })
	})
	t.Run("documents", func(t *testing.T) {
		documenttest.RepositoryContract(t, func(t *testing.T) document.Repository { return sqlite.NewDocuments(db(t)) })
	})
	t.Run("blobs", func(t *testing.T) {
		documenttest.BlobStoreContract(t, func(t *testing.T) document.BlobStore { return sqlite.NewBlobs(db(t)) })
	})
	t.Run("audit log", func(t *testing.T) {
		auditlogtest.RepositoryContract(t, func(t *testing.T) auditlog.Repository { return sqlite.NewAuditLog(db(t)) })
	})
	t.Run("ticket redemptions", func(t *testing.T) { ticketContract(t, db(t)) })
	t.Run("api keys", func(t *testing.T) {
		apikeytest.RepositoryContract(t, func(t *testing.T) apikey.Repository { return sqlite.NewAPIKeys(db(t)) })
	})
	t.Run("idempotency keys", func(t *testing.T) {
		idempotencytest.RepositoryContract(t, func(t *testing.T) idempotency.Repository { return sqlite.NewIdempotencyKeys(db(t)) })
	})
	t.Run("webhooks", func(t *testing.T) {
		webhooktest.RepositoryContract(t, func(t *testing.T) webhook.Repository { return sqlite.NewWebhooks(db(t)) })
	})

	t.Run("every query uses an index", func(t *testing.T) {
		if t.Failed() {
			return
		}
		plans := open(t)
		conn, err := sql.Open("sqlite", "file:"+plans.Path()+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if len(st.seen) < 40 {
			t.Fatalf("only %d distinct statements were seen: the observer is not wired", len(st.seen))
		}
		for query, args := range st.seen {
			if bad := badPlan(t, conn, query, args); bad != "" {
				t.Errorf("%s\n  plan: %s", query, bad)
			}
		}
	})
}

// badPlan explains query and returns the plan when a step of it scans a table or sorts; ""
// when every step searches an index. Scanning the values of a JSON parameter (json_each) or a
// constant row is fine.
func badPlan(t *testing.T, conn *sql.DB, query string, args []any) string {
	t.Helper()
	rows, err := conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var steps []string
	bad := false
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
		switch {
		case strings.HasPrefix(detail, "SCAN json_each"), detail == "SCAN CONSTANT ROW":
		case strings.HasPrefix(detail, "SCAN "), strings.Contains(detail, "TEMP B-TREE"):
			bad = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if bad {
		return strings.Join(steps, " | ")
	}
	return ""
}

func ticketContract(t *testing.T, db *sqlite.DB) {
	a, b := sqlite.NewTicketRedemptions(db), sqlite.NewTicketRedemptions(db)
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
	// Expired records are purged by a repository's first use.
	if ok, err := a.Redeem(ctx, "old", time.Now().Add(-10*time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := sqlite.NewTicketRedemptions(db).Redeem(ctx, "new", until); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := a.Redeem(ctx, "old", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("the purged record of an expired ticket still refuses its id: %v, %v", ok, err)
	}
}

// A second process on the same data directory is refused with a message naming the holder,
// and the directory is free again once the first closes.
func TestSecondProcessIsRefused(t *testing.T) {
	if os.Getenv("WSO_SQLITE_LOCK_CHILD") != "" {
		_, err := sqlite.Open(ctx, sqlite.Options{Dir: os.Getenv("WSO_SQLITE_LOCK_CHILD")})
		fmt.Print(err)
		os.Exit(0)
	}
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	child := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessIsRefused$")
		cmd.Env = append(os.Environ(), "WSO_SQLITE_LOCK_CHILD="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if msg := child(); !strings.Contains(msg, "in use by another process") || !strings.Contains(msg, fmt.Sprint(os.Getpid())) {
		t.Fatalf("second process: %q, want it refused naming pid %d", msg, os.Getpid())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if msg := child(); msg != "<nil>" {
		t.Fatalf("after the first closed: %q", msg)
	}
}

// A data directory left by the old embedded FerretDB store is refused with what to do, rather
// than served as an empty service.
func TestLegacyStoreIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "store"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "store", "workspaceops.sqlite"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if !errors.Is(err, sqlite.ErrLegacyStore) || !strings.Contains(err.Error(), "devstore") || !strings.Contains(err.Error(), "WSO_DATA_DIR") {
		t.Fatalf("Open = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a database was created beside the old store: %v", err)
	}
}

// Migrations apply once and survive a reopen; a database from a newer binary is refused.
func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	users := sqlite.NewUsers(db)
	u := identity.User{ID: "u1", Email: "a@example.com", DisplayName: "A", PasswordHash: "h", CreatedAt: time.UnixMilli(1000).UTC()}
	if err := users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = sqlite.Open(ctx, sqlite.Options{Dir: dir}); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if got, err := sqlite.NewUsers(db).ByID(ctx, "u1"); err != nil || got.Email != u.Email {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := sqlite.Open(ctx, sqlite.Options{Dir: dir}); !errors.Is(err, sqlite.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema = %v", err)
	}
}

// What a crash leaves of uploads and deletions (temporary files, a content file whose row was
// never written or already removed) is removed at the next start; complete blobs stay.
func TestInterruptedContentIsCleanedAtStart(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	blobs := sqlite.NewBlobs(db)
	if _, err := blobs.Put(ctx, "kept01", strings.NewReader("complete"), 100); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	content := filepath.Join(dir, sqlite.ContentDir)
	for path, data := range map[string]string{
		filepath.Join(content, "tmp", "half01.123"): "half an upload",
		filepath.Join(content, "ha", "half02"):      "moved in place, never recorded",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO blob_files_pending (id, since) VALUES ('half01', 0), ('half02', 0)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err = sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var files []string
	_ = filepath.WalkDir(content, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(path, content))
		}
		return nil
	})
	if want := []string{filepath.Join("/ke", "kept01")}; !slices.Equal(files, want) {
		t.Fatalf("content files after restart: %v, want %v", files, want)
	}
	c, err := sqlite.NewBlobs(db).Open(ctx, "kept01")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := io.ReadAll(c); err != nil || string(got) != "complete" {
		t.Fatalf("kept blob reads %q, %v", got, err)
	}
}

// Blob ids name files: one that is not a plain name is refused, and nothing is written.
func TestBlobIDsCannotLeaveTheContentDirectory(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs := sqlite.NewBlobs(db)
	for _, id := range []string{"../../escape", "a/b/c", "..", "x", ""} {
		if _, err := blobs.Put(ctx, id, strings.NewReader("data"), 100); err == nil {
			t.Fatalf("Put(%q) accepted", id)
		}
		if _, err := blobs.Open(ctx, id); err == nil {
			t.Fatalf("Open(%q) succeeded", id)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "escape")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was written outside: %v", err)
	}
}

// Counts kept by triggers (migration 2) start from the rows written before it, and then follow
// every insert, move and delete.
func TestCountsMigrationAndTriggers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, sqlite.FileName)
	if err := sqlite.MigrateUpTo(ctx, path, 1); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// Due: i0 long ago (before 1970, a negative day), i1 earlier today, i2 later today.
	now := time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC)
	dues := []int64{-86_400_000*3 - 5, now.Add(-time.Hour).UnixMilli(), now.Add(time.Hour).UnixMilli()}
	for i, st := range []string{"DRAFT", "DRAFT", "ACTIVE"} {
		if _, err := raw.Exec(`INSERT INTO work_items (id, workspace_id, title, title_fold, description, status, priority, priority_rank,
			assignee_id, due_at, due_sort, tags, document_ids, created_by, created_at, updated_at, version)
			VALUES (?, 'w1', 't', 't', '', ?, 'HIGH', 3, '', ?, ?, '[]', '[]', 'u', 0, 0, 1)`, fmt.Sprint("i", i), st, dues[i], dues[i]); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items := sqlite.NewWorkItems(db)
	want := func(draft, active, completed, high, overdue int) {
		t.Helper()
		c, err := items.Counts(ctx, "w1", now)
		if err != nil {
			t.Fatal(err)
		}
		if c.ByStatus[workitem.Draft] != draft || c.ByStatus[workitem.Active] != active || c.ByStatus[workitem.Completed] != completed ||
			c.ByPriority[workitem.High] != high || c.Overdue != overdue {
			t.Fatalf("counts %+v, want DRAFT %d ACTIVE %d COMPLETED %d HIGH %d overdue %d", c, draft, active, completed, high, overdue)
		}
	}
	want(2, 1, 0, 3, 2)
	if _, _, err := items.Update(ctx, "w1", "i0", func(w *workitem.WorkItem) (bool, error) {
		w.Status, w.Priority = workitem.Completed, workitem.Low
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	want(1, 1, 1, 2, 1)
	if _, _, err := items.Update(ctx, "w1", "i2", func(w *workitem.WorkItem) (bool, error) {
		due := now.Add(-48 * time.Hour)
		w.DueDate = &due
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	want(1, 1, 1, 2, 2)
	if err := items.Delete(ctx, "w1", "i2"); err != nil {
		t.Fatal(err)
	}
	want(1, 0, 1, 1, 1)
}
