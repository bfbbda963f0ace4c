package main

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestAuditLog(t *testing.T) {
	// No overview:updated entries (they are audit entries too) while counting.
	s := startServer(t, map[string]string{"WSO_OVERVIEW_COALESCE": "1h"})
	wid, owner, member, viewer := s.team(t)
	items := "/api/v1/workspaces/" + wid + "/work-items"
	log := "/api/v1/workspaces/" + wid + "/audit-log"
	id := s.call("POST", items, member.token, map[string]string{"title": "Audit me"}).want(t, 201).str("id")
	s.call("PATCH", items+"/"+id+"/status", member.token, map[string]string{"status": "ACTIVE"}).want(t, 200)

	// Concurrent mutations still get gap-free, unique seqs.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			s.call("POST", items, member.token, map[string]string{"title": fmt.Sprint("parallel ", i)}).want(t, 201)
		})
	}
	wg.Wait()

	var seqs []float64
	cursor := ""
	for range 20 {
		r := s.call("GET", log+"?limit=4&cursor="+cursor, viewer.token, nil).want(t, 200)
		for _, e := range r.items() {
			seqs = append(seqs, e["seq"].(float64))
		}
		if cursor = r.str("nextCursor"); cursor == "" {
			break
		}
	}
	// workspace created, 2 members invited, 1 item created + status change, 8 items created.
	if len(seqs) != 13 {
		t.Fatalf("%d entries, want 13: %v", len(seqs), seqs)
	}
	for i, seq := range seqs {
		if seq != float64(13-i) {
			t.Fatalf("seqs %v: not gap-free newest first", seqs)
		}
	}

	changed := s.call("GET", log+"?action=WORK_ITEM_STATUS_CHANGED", viewer.token, nil).want(t, 200).items()
	if len(changed) != 1 {
		t.Fatalf("status changes: %v", changed)
	}
	e := changed[0]
	data := e["data"].(map[string]any)
	if e["event"] != "work-item:status-changed" || e["targetId"] != id || e["actorId"] != member.id || e["targetType"] != "work-item" ||
		data["from"] != "DRAFT" || data["to"] != "ACTIVE" {
		t.Fatalf("entry %v", e)
	}
	if n := len(s.call("GET", log+"?actorId="+owner.id, viewer.token, nil).want(t, 200).items()); n != 3 {
		t.Fatalf("owner's entries: %d, want 3 (create + 2 invites)", n)
	}
	if n := len(s.call("GET", log+"?targetId="+id, viewer.token, nil).want(t, 200).items()); n != 2 {
		t.Fatalf("entries about the item: %d, want 2", n)
	}
	s.call("GET", log+"?action=NOT_AN_ACTION", viewer.token, nil).want(t, 400, "validation_failed")
	s.call("GET", log+"?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", viewer.token, nil).want(t, 400, "validation_failed")
	if n := len(s.call("GET", log+"?from=2030-01-01T00:00:00Z", viewer.token, nil).want(t, 200).items()); n != 0 {
		t.Fatalf("future entries: %d", n)
	}
	stranger := s.register(t, "stranger@example.com")
	s.call("GET", log, stranger.token, nil).want(t, 404, "workspace_not_found")

	recent := s.call("GET", "/api/v1/workspaces/"+wid+"/overview", viewer.token, nil).want(t, 200).body["recent"].([]any)
	if len(recent) != 10 || recent[0].(map[string]any)["seq"] == nil {
		t.Fatalf("overview recent: %v", recent)
	}
	// One rendering of an entry for clients: the overview's newest is the log's newest.
	if newest := s.call("GET", log+"?limit=1", viewer.token, nil).want(t, 200).items(); !reflect.DeepEqual(recent[0], newest[0]) {
		t.Fatalf("the overview renders an entry as %v, the audit log as %v", recent[0], newest[0])
	}
}
