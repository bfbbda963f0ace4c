package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// team registers an owner, a member and a viewer and puts them in one workspace.
func (s *server) team(t *testing.T) (wid string, owner, member, viewer user) {
	t.Helper()
	owner, member, viewer = s.register(t, "owner@example.com"), s.register(t, "member@example.com"), s.register(t, "viewer@example.com")
	wid = s.call("POST", "/api/v1/workspaces", owner.token, map[string]string{"name": "Team"}).want(t, 201).str("id")
	s.call("POST", "/api/v1/workspaces/"+wid+"/members", owner.token, map[string]string{"email": member.email, "role": "MEMBER"}).want(t, 201)
	s.call("POST", "/api/v1/workspaces/"+wid+"/members", owner.token, map[string]string{"email": viewer.email, "role": "VIEWER"}).want(t, 201)
	return wid, owner, member, viewer
}

func TestWorkItemLifecycle(t *testing.T) {
	s := startServer(t, nil)
	wid, owner, member, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"

	created := s.call("POST", base, member.token, map[string]any{
		"title": "Ship v1", "description": "**bold**", "priority": "HIGH", "assigneeId": viewer.id,
		"dueDate": "2030-01-02T03:04:05Z", "tags": []string{"Release", "release", "q1"},
	}).want(t, 201)
	id := created.str("id")
	if created.str("status") != "DRAFT" || created.str("priority") != "HIGH" || created.str("assigneeId") != viewer.id ||
		created.str("dueDate") != "2030-01-02T03:04:05Z" || fmt.Sprint(created.body["tags"]) != "[release q1]" ||
		created.body["version"] != float64(1) || created.header.Get("ETag") != `"1"` || created.str("workspaceId") != wid {
		t.Fatalf("created %s", created.raw)
	}
	s.call("POST", base, viewer.token, map[string]string{"title": "nope"}).want(t, 403, "forbidden")
	s.call("POST", base, member.token, map[string]string{"title": "Blank priority", "priority": ""}).want(t, 400, "validation_failed")
	s.call("GET", base+"/"+id, viewer.token, nil).want(t, 200)

	// The lifecycle, with refused moves naming the current status.
	s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "COMPLETED"}).want(t, 409, "invalid_transition")
	s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "ACTIVE"}).want(t, 200)
	done := s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "COMPLETED"}).want(t, 200)
	if done.str("status") != "COMPLETED" {
		t.Fatalf("status %s", done.raw)
	}
	refused := s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "DRAFT"}).want(t, 409, "invalid_transition")
	if !strings.Contains(refused.str("detail"), "COMPLETED") {
		t.Fatalf("the refusal does not name the current status: %s", refused.raw)
	}
	s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "ARCHIVED"}).want(t, 400, "validation_failed")
	s.call("PATCH", base+"/"+id+"/status", viewer.token, map[string]string{"status": "ACTIVE"}).want(t, 403, "forbidden")

	// Metadata with optimistic concurrency.
	cur := s.call("GET", base+"/"+id, member.token, nil).want(t, 200)
	etag := cur.header.Get("ETag")
	upd := s.call("PATCH", base+"/"+id, member.token, map[string]any{"title": "Ship v1.0", "dueDate": nil, "assigneeId": nil}, "If-Match", etag).want(t, 200)
	if upd.str("title") != "Ship v1.0" || upd.body["dueDate"] != nil || upd.body["assigneeId"] != nil || upd.header.Get("ETag") == etag {
		t.Fatalf("update %s", upd.raw)
	}
	s.call("PATCH", base+"/"+id, member.token, map[string]any{"title": "stale"}, "If-Match", etag).want(t, 409, "version_conflict")
	s.call("PATCH", base+"/"+id, member.token, map[string]any{"title": "x"}, "If-Match", "garbage").want(t, 400, "invalid_if_match")
	s.call("PATCH", base+"/"+id, member.token, map[string]any{"title": "blind write wins"}).want(t, 200)
	s.call("PATCH", base+"/"+id, member.token, map[string]any{"assigneeId": owner.id + "0"}).want(t, 400)
	s.call("PATCH", base+"/"+id, member.token, map[string]any{}).want(t, 400, "nothing_to_update")

	// Delete.
	s.call("DELETE", base+"/"+id, viewer.token, nil).want(t, 403, "forbidden")
	s.call("DELETE", base+"/"+id, member.token, nil).want(t, 204)
	s.call("GET", base+"/"+id, member.token, nil).want(t, 404, "work_item_not_found")
	s.call("DELETE", base+"/"+id, member.token, nil).want(t, 404, "work_item_not_found")

	// Strangers learn nothing.
	stranger := s.register(t, "stranger@example.com")
	s.call("GET", base, stranger.token, nil).want(t, 404, "workspace_not_found")
}

func TestConcurrentStatusChangesOverHTTP(t *testing.T) {
	s := startServer(t, nil)
	wid, _, member, _ := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, member.token, map[string]string{"title": "Race"}).want(t, 201).str("id")
	s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "ACTIVE"}).want(t, 200)

	// Half the requests complete the item, half send it back to draft: conflicting moves from
	// ACTIVE. Exactly one may win; every other gets 409 invalid_transition.
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		to := []string{"COMPLETED", "DRAFT"}[i%2]
		wg.Go(func() {
			statuses[i] = s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": to}).status
		})
	}
	wg.Wait()
	won := 0
	for _, st := range statuses {
		switch st {
		case 200:
			won++
		case 409:
		default:
			t.Fatalf("unexpected status %d", st)
		}
	}
	if won != 1 {
		t.Fatalf("%d conflicting moves won, want exactly 1 (statuses %v)", won, statuses)
	}
	final := s.call("GET", base+"/"+id, member.token, nil).want(t, 200)
	if final.body["version"] != float64(3) {
		t.Fatalf("version %v after one create, two moves: a lost or extra update", final.body["version"])
	}
}

func TestWorkItemListFiltersSortsAndPages(t *testing.T) {
	s := startServer(t, nil)
	wid, _, member, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	for i := range 7 {
		body := map[string]any{"title": fmt.Sprintf("Task %d", i), "priority": []string{"LOW", "MEDIUM", "HIGH", "URGENT"}[i%4], "tags": []string{fmt.Sprint("t", i%2)}}
		if i%3 == 0 {
			body["assigneeId"] = viewer.id
			body["dueDate"] = fmt.Sprintf("2030-01-%02dT00:00:00Z", i+1)
		}
		s.call("POST", base, member.token, body).want(t, 201)
	}
	count := func(query string) int {
		t.Helper()
		return len(s.call("GET", base+"?"+query, viewer.token, nil).want(t, 200).items())
	}
	for query, want := range map[string]int{
		"":                               7,
		"status=DRAFT":                   7,
		"status=ACTIVE&status=COMPLETED": 0,
		"status=ACTIVE,DRAFT":            7,
		"assigneeId=" + viewer.id:        3,
		"tag=t1":                         3,
		"q=task%205":                     1,
		"q=TASK":                         7,
		"dueBefore=2030-01-05T00:00:00Z": 2,
		"dueAfter=2030-01-05T00:00:00Z":  1,
		"tag=t0&assigneeId=" + viewer.id: 2,
	} {
		if got := count(query); got != want {
			t.Errorf("?%s: %d items, want %d", query, got, want)
		}
	}
	first := s.call("GET", base+"?sort=-priority&limit=1", viewer.token, nil).want(t, 200).items()
	if first[0]["priority"] != "URGENT" {
		t.Fatalf("-priority first = %v", first[0])
	}

	// Page newest-first while new items keep arriving: nothing repeats, nothing is skipped.
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		r := s.call("GET", base+"?limit=3&cursor="+cursor, viewer.token, nil).want(t, 200)
		for _, it := range r.items() {
			if seen[it["id"].(string)] {
				t.Fatalf("item %v seen twice", it["title"])
			}
			seen[it["id"].(string)] = true
		}
		s.call("POST", base, member.token, map[string]string{"title": fmt.Sprint("late ", page)}).want(t, 201)
		if cursor = r.str("nextCursor"); cursor == "" {
			break
		}
	}
	if len(seen) != 7 {
		t.Fatalf("paged %d of the 7 items that existed when paging began", len(seen))
	}

	for _, bad := range []string{"status=DONE", "sort=title", "dueBefore=tomorrow", "limit=0", "cursor=zzz", "q=" + strings.Repeat("x", 201)} {
		s.call("GET", base+"?"+bad, viewer.token, nil).want(t, 400)
	}
}

func TestWorkItemBadInput(t *testing.T) {
	s := startServer(t, nil)
	wid, _, member, _ := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	for name, body := range map[string]string{
		"huge title":        `{"title":"` + strings.Repeat("t", 201) + `"}`,
		"no title":          `{"description":"x"}`,
		"title not string":  `{"title":42}`,
		"injection":         `{"title":{"$gt":""}}`,
		"bad priority":      `{"title":"t","priority":"ASAP"}`,
		"bad due date":      `{"title":"t","dueDate":"next week"}`,
		"tags not list":     `{"title":"t","tags":"a,b"}`,
		"unknown field":     `{"title":"t","status":"COMPLETED"}`,
		"stranger assignee": `{"title":"t","assigneeId":"0123456789abcdef01234567"}`,
	} {
		t.Run(name, func(t *testing.T) {
			s.call("POST", base, member.token, body).want(t, 400)
		})
	}
	if n := len(s.call("GET", base, member.token, nil).want(t, 200).items()); n != 0 {
		t.Fatalf("bad input created %d items", n)
	}
	s.call("GET", base+"/not-an-id", member.token, nil).want(t, 400, "invalid_id")
}
