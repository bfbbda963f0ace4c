package main

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestDeletedWorkspaceIsPurged: deleting a workspace removes its work items (with their tags and
// links), documents and their content from the store, not only access to them; another
// workspace keeps everything, and the audit log of the deleted one stays.
func TestDeletedWorkspaceIsPurged(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, map[string]string{"MONGO_URI": "", "WSO_DATA_DIR": dir})
	wid, owner, member, _ := s.team(t)
	keep := s.call("POST", "/api/v1/workspaces", owner.token, map[string]string{"name": "Keep"}).want(t, 201).str("id")
	for _, w := range []string{wid, keep} {
		item := s.call("POST", "/api/v1/workspaces/"+w+"/work-items", owner.token, map[string]any{"title": "T", "tags": []string{"x"}}).want(t, 201).str("id")
		doc := s.upload(t, owner.token, w, "f.txt", []byte("content of "+w), false).want(t, 201).str("id")
		s.call("PUT", "/api/v1/workspaces/"+w+"/work-items/"+item+"/documents/"+doc, owner.token, nil).want(t, 200)
	}
	s.call("DELETE", "/api/v1/workspaces/"+wid, owner.token, nil).want(t, 204)
	s.call("GET", "/api/v1/workspaces/"+wid+"/work-items", member.token, nil).want(t, 404, "workspace_not_found")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "workspaceops.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string]int{"work_items": 0, "work_item_tags": 0, "work_item_links": 0, "documents": 0, "memberships": 0, "invitations": 0} {
		if n := count("SELECT COUNT(*) FROM "+table+" WHERE workspace_id = ?", wid); n != want {
			t.Errorf("%s: %d rows of the deleted workspace remain", table, n)
		}
	}
	if n := count("SELECT COUNT(*) FROM work_items WHERE workspace_id = ?", keep); n != 1 {
		t.Errorf("the other workspace has %d work items, want 1", n)
	}
	if n := count("SELECT COUNT(*) FROM audit_log WHERE workspace_id = ?", wid); n == 0 {
		t.Error("the deleted workspace's audit log is gone; it is kept")
	}
	var files int
	_ = filepath.WalkDir(filepath.Join(dir, "content"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 || count("SELECT COUNT(*) FROM blobs") != 1 {
		t.Errorf("%d content files and %d blobs remain, want the other workspace's one", files, count("SELECT COUNT(*) FROM blobs"))
	}
}
