package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

// TestCopyToMongoDB is the path of a team that outgrows one machine: data written on the
// embedded store is copied into an empty MongoDB database, verified, and then served from
// there with every answer the same, tokens still valid, and realtime resuming from the same
// seqs. A second copy into the now full database is refused.
func TestCopyToMongoDB(t *testing.T) {
	env := map[string]string{
		"MONGO_URI": "", "WSO_DATA_DIR": t.TempDir(), "JWT_SECRET": testSecret, "WSO_LOG_LEVEL": "warn",
		"WSO_OVERVIEW_COALESCE": "1h",
	}
	embedded := &restartable{t: t, addr: freeAddr(t), env: env}
	embedded.start()
	t.Cleanup(embedded.stop)
	s := &server{base: "http://" + embedded.addr, t: t}

	wid, owner, member, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid
	s.call("POST", base+"/members", owner.token, map[string]string{"email": "later@example.com", "role": "VIEWER"}).want(t, 201)
	item := s.call("POST", base+"/work-items", member.token, map[string]any{
		"title": "Ship v1", "priority": "HIGH", "assigneeId": viewer.id, "dueDate": "2030-01-02T03:04:05Z", "tags": []string{"release", "q1"},
	}).want(t, 201).str("id")
	s.call("POST", base+"/work-items", member.token, map[string]any{"title": "Write the post", "tags": []string{"blog"}}).want(t, 201)
	s.call("PATCH", base+"/work-items/"+item+"/status", member.token, map[string]string{"status": "ACTIVE"}).want(t, 200)
	content := bytes.Repeat([]byte("quarterly report, page after page\n"), 40_000) // ~1.3 MiB: several chunks
	doc := s.upload(t, member.token, wid, "report.txt", content, true, "title", "Report").want(t, 201).str("id")
	s.call("PUT", base+"/work-items/"+item+"/documents/"+doc, member.token, nil).want(t, 200)
	key, _ := s.createKey(t, owner, wid, "ci", "MEMBER")
	s.call("GET", base, key.token, nil).want(t, 200) // used: lastUsedAt is copied too
	// A webhook (on a public address literal, for an event this test never causes) moves with its cursor.
	s.call("POST", base+"/webhooks", owner.token, map[string]any{"url": "https://93.184.216.34/hooks", "events": []string{"document:deleted"}}).want(t, 201)

	// What a client sees, before the move.
	views := []string{
		base, base + "/members", base + "/overview", base + "/work-items", base + "/work-items?tag=release",
		base + "/work-items/" + item, base + "/documents", base + "/documents/" + doc, base + "/audit-log", "/api/v1/workspaces",
		base + "/api-keys",
		base + "/webhooks",
	}
	before := map[string]string{}
	for _, v := range views {
		before[v] = s.call("GET", v, owner.token, nil).want(t, 200).raw
	}
	head := s.call("GET", base+"/audit-log?limit=1", owner.token, nil).want(t, 200).items()[0]["seq"].(float64)
	embedded.stop()

	// The copy, with the server stopped.
	database := mongotest.Database(t).Name()
	copyEnv := func(k string) string { return env[k] }
	args := []string{"copy", "--to", mongotest.URI(), "--database", database}
	var out bytes.Buffer
	if code := run(context.Background(), args, copyEnv, &out); code != 0 {
		t.Fatalf("copy exited %d:\n%s", code, out.String())
	}
	t.Logf("copy:\n%s", out.String())
	for _, want := range []string{"users", "memberships", "invitations", "blobs", "work items", "api keys", "audit entries", "webhooks", "equals its source"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the copy's report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), mongotest.URI()) && strings.Contains(mongotest.URI(), "@") {
		t.Fatalf("the report shows the connection string with its credentials:\n%s", out.String())
	}
	out.Reset()
	if code := run(context.Background(), args, copyEnv, &out); code != 1 || !strings.Contains(out.String(), "not empty") {
		t.Fatalf("a second copy into the full database: exit %d\n%s", code, out.String())
	}

	// Served from MongoDB: the same answers to the same (still valid) token.
	moved := &restartable{t: t, addr: freeAddr(t), env: map[string]string{
		"MONGO_URI": mongotest.URI(), "WSO_MONGO_DATABASE": database, "JWT_SECRET": testSecret, "WSO_LOG_LEVEL": "warn",
		"WSO_OVERVIEW_COALESCE": "1h",
	}}
	moved.start()
	t.Cleanup(moved.stop)
	m := &server{base: "http://" + moved.addr, t: t}
	for _, v := range views {
		if got := m.call("GET", v, owner.token, nil).want(t, 200).raw; got != before[v] {
			t.Errorf("GET %s after the copy:\n got %s\nwant %s", v, got, before[v])
		}
	}
	if got := m.download(t, member.token, base+"/documents/"+doc+"/content").want(t, 200).raw; got != string(content) {
		t.Fatalf("the document's content differs after the copy (%d bytes, want %d)", len(got), len(content))
	}
	m.call("POST", "/api/v1/auth/login", "", map[string]string{"email": viewer.email, "password": "correct-horse"}).want(t, 200)
	m.call("GET", base+"/work-items", key.token, nil).want(t, 200)

	// A client that had everything up to head resumes with nothing replayed, and the next change
	// continues the same sequence.
	c := m.live(t, owner)
	last := int64(head)
	if j := c.join(wid, &last); seqOf(j) != last {
		t.Fatalf("joined %v, want head %d", j, last)
	}
	m.call("PATCH", base+"/work-items/"+item+"/status", member.token, map[string]string{"status": "COMPLETED"}).want(t, 200)
	if e := c.event("work-item:status-changed"); seqOf(e) != last+1 {
		t.Fatalf("the first change after the copy has seq %v, want %d", e["seq"], last+1)
	}
}
