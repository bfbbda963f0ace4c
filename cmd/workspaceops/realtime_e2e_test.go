package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Realtime end to end: real WebSocket and SSE clients on loopback against the real command.
// Waits are bounded (a frame that does not come within rtWait fails the test); nothing asserts
// how fast anything is.

const rtWait = 10 * time.Second

type rtClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (s *server) wsURL() string { return "ws" + strings.TrimPrefix(s.base, "http") + "/ws" }

// dialWS opens a WebSocket; opts may be nil.
func (s *server) dialWS(t *testing.T, opts *websocket.DialOptions) *rtClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rtWait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, s.wsURL(), opts)
	if err != nil {
		t.Fatalf("dial %s: %v", s.wsURL(), err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &rtClient{t: t, conn: conn}
}

// live opens a WebSocket authenticated as u.
func (s *server) live(t *testing.T, u user) *rtClient {
	t.Helper()
	c := s.dialWS(t, nil)
	c.send(map[string]any{"type": "auth", "token": u.token, "ref": "a"})
	if m := c.next(); m["type"] != "ready" || m["userId"] != u.id || m["ref"] != "a" || m["connectionId"] == "" {
		t.Fatalf("auth answered %v", m)
	}
	return c
}

func (c *rtClient) send(v any) {
	c.t.Helper()
	b, ok := v.(string)
	if !ok {
		js, err := json.Marshal(v)
		if err != nil {
			c.t.Fatal(err)
		}
		b = string(js)
	}
	ctx, cancel := context.WithTimeout(context.Background(), rtWait)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(b)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *rtClient) read() (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rtWait)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("frame is not JSON: %q", b)
	}
	checkFrame(c.t, b) // every frame must keep the published contract (api/asyncapi.yaml)
	return m, nil
}

// next returns the next frame, skipping overview:updated events (coalesced, asynchronous).
func (c *rtClient) next() map[string]any {
	c.t.Helper()
	for {
		m, err := c.read()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if m["type"] == "event" && m["event"] == "overview:updated" {
			continue
		}
		return m
	}
}

func (c *rtClient) join(wid string, since *int64) map[string]any {
	c.t.Helper()
	msg := map[string]any{"type": "join", "workspaceId": wid, "ref": "j"}
	if since != nil {
		msg["since"] = *since
	}
	c.send(msg)
	m := c.next()
	if m["type"] != "joined" || m["workspaceId"] != wid || m["ref"] != "j" {
		c.t.Fatalf("join answered %v", m)
	}
	return m
}

// event reads frames until an event named name (failing on anything but events).
func (c *rtClient) event(name string) map[string]any {
	c.t.Helper()
	for {
		m := c.next()
		if m["type"] != "event" {
			c.t.Fatalf("got %v while waiting for %s", m, name)
		}
		if m["event"] == name {
			return m
		}
	}
}

// quietSoFar proves nothing but overview events was queued for c before now: a ping's pong
// comes next.
func (c *rtClient) quietSoFar() {
	c.t.Helper()
	c.send(map[string]any{"type": "ping", "ref": "probe"})
	if m := c.next(); m["type"] != "pong" || m["ref"] != "probe" {
		c.t.Fatalf("unexpected frame %v", m)
	}
}

// closeCode reads until the connection closes and returns its close code.
func (c *rtClient) closeCode() websocket.StatusCode {
	c.t.Helper()
	for range 100000 {
		if _, err := c.read(); err != nil {
			return websocket.CloseStatus(err)
		}
	}
	c.t.Fatal("the connection did not close")
	return 0
}

func seqOf(m map[string]any) int64 { return int64(m["seq"].(float64)) }

// sseStream is a Server-Sent Events client.
type sseStream struct {
	t    *testing.T
	resp *http.Response
	msgs chan sseMsg
}

type sseMsg struct {
	id    string
	frame map[string]any
}

func (s *server) ticket(t *testing.T, u user) string {
	t.Helper()
	r := s.call("POST", "/api/v1/realtime/tickets", u.token, nil).want(t, 200)
	if r.str("ticket") == "" || r.str("expiresAt") == "" {
		t.Fatalf("ticket answer %s", r.raw)
	}
	return r.str("ticket")
}

// openSSE opens GET /events; lastEventID "" sends no Last-Event-ID. It returns the status and,
// on 200, the stream.
func (s *server) openSSE(t *testing.T, ticket, wid, lastEventID string) (int, *sseStream) {
	t.Helper()
	req, err := http.NewRequest("GET", s.base+"/events?ticket="+ticket+"&workspaceId="+wid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /events: %v", err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	st := &sseStream{t: t, resp: resp, msgs: make(chan sseMsg, 1024)}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(st.msgs)
		sc := bufio.NewScanner(resp.Body)
		var cur sseMsg
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur.frame != nil {
					st.msgs <- cur
				}
				cur = sseMsg{}
			case strings.HasPrefix(line, "id: "):
				cur.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.frame); err != nil {
					t.Errorf("SSE data is not JSON: %q", line)
				}
				checkFrame(t, []byte(strings.TrimPrefix(line, "data: ")))
			}
		}
	}()
	return 200, st
}

// next returns the next SSE message, skipping overview events; ok is false when the stream ended.
func (st *sseStream) next() (sseMsg, bool) {
	st.t.Helper()
	for {
		select {
		case m, ok := <-st.msgs:
			if !ok {
				return sseMsg{}, false
			}
			if m.frame["event"] == "overview:updated" {
				continue
			}
			return m, true
		case <-time.After(rtWait):
			st.t.Fatal("no SSE message in time")
		}
	}
}

func (st *sseStream) must() sseMsg {
	st.t.Helper()
	m, ok := st.next()
	if !ok {
		st.t.Fatal("the SSE stream ended")
	}
	return m
}

func TestRealtimeStatusChangeReachesTeammates(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_OVERVIEW_COALESCE": "1h"})
	wid, owner, member, _ := s.team(t)
	stranger := s.register(t, "stranger@example.com")

	watcher := s.live(t, member)
	joined := watcher.join(wid, nil)
	if seqOf(joined) < 3 { // created + two members invited
		t.Fatalf("joined head %v", joined)
	}
	_, sse := s.openSSE(t, s.ticket(t, member), wid, "")
	if m := sse.must(); m.frame["type"] != "joined" || m.frame["workspaceId"] != wid {
		t.Fatalf("SSE began with %v", m.frame)
	}

	// A stranger may not join, and hears nothing of the workspace.
	outsider := s.live(t, stranger)
	outsider.send(map[string]any{"type": "join", "workspaceId": wid, "ref": 1})
	if m := outsider.next(); m["type"] != "error" || (m["code"] != "not_found" && m["code"] != "forbidden") || m["ref"] != float64(1) {
		t.Fatalf("a stranger's join answered %v", m)
	}
	if code, _ := s.openSSE(t, s.ticket(t, stranger), wid, ""); code != 404 {
		t.Fatalf("a stranger's SSE stream answered %d", code)
	}

	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, owner.token, map[string]string{"title": "Live"}).want(t, 201).str("id")
	s.call("PATCH", base+"/"+id+"/status", owner.token, map[string]string{"status": "ACTIVE"}).want(t, 200)

	created := watcher.event("work-item:created")
	ev := watcher.event("work-item:status-changed")
	data := ev["data"].(map[string]any)
	if ev["workspaceId"] != wid || seqOf(ev) != seqOf(created)+1 ||
		data["targetId"] != id || data["targetType"] != "work-item" || data["workspaceId"] != wid ||
		data["actorId"] != owner.id || data["action"] != "WORK_ITEM_STATUS_CHANGED" ||
		data["from"] != "DRAFT" || data["to"] != "ACTIVE" || data["at"] == "" {
		t.Fatalf("status-changed frame %v", ev)
	}
	// The SSE stream carries the same frames, with id = seq.
	for _, want := range []map[string]any{created, ev} {
		m := sse.must()
		if m.frame["event"] != want["event"] || m.id != strconv.FormatInt(seqOf(want), 10) || seqOf(m.frame) != seqOf(want) {
			t.Fatalf("SSE %q %v, want seq %d %v", m.id, m.frame, seqOf(want), want["event"])
		}
	}
	outsider.quietSoFar()

	// The origin is checked on the handshake.
	ctx, cancel := context.WithTimeout(context.Background(), rtWait)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example.com"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a foreign origin's handshake: %v", err)
	}
	ok, _, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{
		"Origin": {"http://localhost:3000"}, "Authorization": {"Bearer " + member.token}}})
	if err != nil {
		t.Fatalf("an allowed origin with a header token: %v", err)
	}
	defer ok.CloseNow()
	hc := &rtClient{t: t, conn: ok}
	if m := hc.next(); m["type"] != "ready" || m["userId"] != member.id {
		t.Fatalf("header auth answered %v", m)
	}
	// A ticket is single use.
	tk := s.ticket(t, member)
	if code, st := s.openSSE(t, tk, wid, ""); code != 200 {
		t.Fatalf("first use of a ticket: %d", code)
	} else {
		st.resp.Body.Close()
	}
	if code, _ := s.openSSE(t, tk, wid, ""); code != 401 {
		t.Fatalf("second use of a ticket: %d", code)
	}
}

func TestRealtimeRemovalEvicts(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_OVERVIEW_COALESCE": "1h"})
	wid, owner, _, viewer := s.team(t)
	ownerWS := s.live(t, owner)
	ownerWS.join(wid, nil)
	viewerWS := s.live(t, viewer)
	viewerWS.join(wid, nil)
	viewerOther := s.live(t, viewer) // another tab, in no workspace: its user room hears it
	_, viewerSSE := s.openSSE(t, s.ticket(t, viewer), wid, "")
	viewerSSE.must() // joined

	s.call("DELETE", "/api/v1/workspaces/"+wid+"/members/"+viewer.id, owner.token, nil).want(t, 204)
	if m := viewerWS.next(); m["type"] != "removed" || m["workspaceId"] != wid || m["reason"] != "member_removed" {
		t.Fatalf("the removed viewer got %v", m)
	}
	if m := viewerSSE.must(); m.frame["type"] != "removed" {
		t.Fatalf("the removed viewer's stream got %v", m.frame)
	}
	if m, more := viewerSSE.next(); more {
		t.Fatalf("the stream went on after removed: %v", m.frame)
	}
	if m := viewerOther.next(); m["event"] != "workspace:member-removed" || m["data"].(map[string]any)["userId"] != viewer.id {
		t.Fatalf("the viewer's other connection got %v", m)
	}
	ownerWS.event("workspace:member-removed")

	// Later events of the workspace reach the owner, never the removed viewer.
	id := s.call("POST", "/api/v1/workspaces/"+wid+"/work-items", owner.token, map[string]string{"title": "After"}).want(t, 201).str("id")
	if m := ownerWS.event("work-item:created"); m["data"].(map[string]any)["targetId"] != id {
		t.Fatalf("owner got %v", m)
	}
	viewerWS.quietSoFar()
	viewerOther.quietSoFar()
	// A resumed join is authorized again: refused now.
	viewerWS.send(map[string]any{"type": "join", "workspaceId": wid, "since": 0, "ref": "again"})
	if m := viewerWS.next(); m["type"] != "error" || m["code"] != "not_found" || m["ref"] != "again" {
		t.Fatalf("rejoin answered %v", m)
	}

	// Deleting the workspace evicts everyone.
	s.call("DELETE", "/api/v1/workspaces/"+wid, owner.token, nil).want(t, 204)
	ownerWS.event("workspace:deleted")
	if m := ownerWS.next(); m["type"] != "removed" || m["reason"] != "workspace_deleted" {
		t.Fatalf("owner got %v after the deletion", m)
	}
}

func TestRealtimeResumeAfterDrop(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_OVERVIEW_COALESCE": "1h"})
	wid, owner, member, _ := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, owner.token, map[string]string{"title": "Resume"}).want(t, 201).str("id")

	c := s.live(t, member)
	last := seqOf(c.join(wid, nil))
	_ = c.conn.CloseNow() // the network drops

	statuses := []string{"ACTIVE", "COMPLETED", "ACTIVE"}
	for _, st := range statuses {
		s.call("PATCH", base+"/"+id+"/status", owner.token, map[string]string{"status": st}).want(t, 200)
	}
	head := s.call("GET", "/api/v1/workspaces/"+wid+"/audit-log?limit=1", owner.token, nil).want(t, 200).items()[0]["seq"].(float64)

	again := s.live(t, member)
	if j := again.join(wid, &last); seqOf(j) != int64(head) {
		t.Fatalf("joined %v, want head %v", j, head)
	}
	var got []string
	for want := last + 1; want <= int64(head); want++ {
		m, err := again.read()
		if err != nil {
			t.Fatal(err)
		}
		if m["type"] != "event" || seqOf(m) != want {
			t.Fatalf("after seq %d got %v", want-1, m)
		}
		if m["event"] == "work-item:status-changed" {
			got = append(got, m["data"].(map[string]any)["to"].(string))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(statuses) {
		t.Fatalf("replayed status changes %v, want %v", got, statuses)
	}
	// Then live, without a gap at the seam.
	s.call("PATCH", base+"/"+id+"/status", owner.token, map[string]string{"status": "DRAFT"}).want(t, 200)
	if m := again.event("work-item:status-changed"); seqOf(m) != int64(head)+1 {
		t.Fatalf("live after replay: %v", m)
	}

	// SSE resumes from Last-Event-ID exactly the same way.
	_, st := s.openSSE(t, s.ticket(t, member), wid, strconv.FormatInt(last, 10))
	st.must() // joined
	for want := last + 1; want <= int64(head)+1; want++ {
		m := st.must()
		if m.id != strconv.FormatInt(want, 10) || seqOf(m.frame) != want {
			t.Fatalf("SSE resume: after %d got id %q %v", want-1, m.id, m.frame)
		}
	}
}

// slowDialer connects with a tiny receive buffer, so a client that stops reading fills the
// server's queue after few frames instead of after megabytes of kernel buffers.
func slowDialer() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			_ = conn.(*net.TCPConn).SetReadBuffer(1024)
		}
		return conn, err
	}}}
}

// slowConsumer opens a WebSocket (with a small receive buffer) as u, joined to wid, whose
// reading is up to the test.
func (s *server) slowConsumer(t *testing.T, u user, wid string) *rtClient {
	t.Helper()
	slow := s.dialWS(t, &websocket.DialOptions{HTTPClient: slowDialer()})
	slow.send(map[string]any{"type": "auth", "token": u.token})
	slow.next()
	slow.join(wid, nil)
	return slow
}

func TestRealtimeSlowConsumerIsClosed(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_OVERVIEW_COALESCE": "1h", "WSO_WS_QUEUE_SIZE": "4", "WSO_WS_SEND_BUFFER": "4096"})
	wid, owner, member, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, owner.token, map[string]string{"title": "Busy"}).want(t, 201).str("id")

	slow := s.slowConsumer(t, viewer, wid)
	fast := s.live(t, member)
	fast.join(wid, nil)

	// The slow client reads nothing from here on; the fast one reads every event.
	const changes = 80
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range 4 {
		wg.Go(func() {
			for {
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				if n >= changes {
					return
				}
				status := []string{"ACTIVE", "DRAFT"}[n%2]
				// Concurrent toggles may refuse each other (409); every accepted one is an event.
				s.call("PATCH", base+"/"+id+"/status", owner.token, map[string]string{"status": status})
			}
		})
	}
	done := make(chan struct{})
	var fastSeqs []int64
	go func() {
		defer close(done)
		wg.Wait()
	}()
	head := func() int64 {
		return int64(s.call("GET", "/api/v1/workspaces/"+wid+"/audit-log?limit=1", owner.token, nil).want(t, 200).items()[0]["seq"].(float64))
	}
	<-done
	last := head()
	for {
		m := fast.next()
		fastSeqs = append(fastSeqs, seqOf(m))
		if seqOf(m) == last {
			break
		}
	}
	for i := 1; i < len(fastSeqs); i++ {
		if fastSeqs[i] != fastSeqs[i-1]+1 {
			t.Fatalf("the fast client missed events: %v", fastSeqs)
		}
	}
	// Now the slow one reads: some frames, then the close.
	received := 0
	var code websocket.StatusCode
	for {
		m, err := slow.read()
		if err != nil {
			code = websocket.CloseStatus(err)
			break
		}
		if m["type"] == "event" {
			received++
		}
	}
	if code != 4008 {
		t.Fatalf("the slow consumer was closed with %d after %d events, want 4008", code, received)
	}
	if received >= len(fastSeqs) {
		t.Fatalf("the slow consumer received all %d events", received)
	}
	t.Logf("the slow consumer got %d of %d events before 4008", received, len(fastSeqs))
	// The fast client is still served: it hears the next change (one that cannot be refused,
	// whatever status the toggles left the item in), then nothing else.
	created := s.call("POST", base, owner.token, map[string]string{"title": "After the slow one"}).want(t, 201).str("id")
	if got := fast.event("work-item:created"); got["data"].(map[string]any)["targetId"] != created || seqOf(got) != last+1 {
		t.Fatalf("the fast client got %v after the eviction, want the creation of %s at seq %d", got, created, last+1)
	}
	fast.quietSoFar()
}

func TestRealtimeTokenExpiryCloses4001(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_TOKEN_TTL": "2s"})
	u := s.register(t, "short@example.com")
	c := s.live(t, u)
	if code := c.closeCode(); code != 4001 {
		t.Fatalf("expiry closed with %d, want 4001", code)
	}
}

func TestRealtimeBadFrames(t *testing.T) {
	s := startServer(t, nil)
	u := s.register(t, "frames@example.com")
	c := s.dialWS(t, nil)
	c.send(map[string]any{"type": "join", "workspaceId": "0123456789abcdef01234567"})
	if m := c.next(); m["type"] != "error" || m["code"] != "unauthorized" {
		t.Fatalf("join before auth answered %v", m)
	}
	c.send(map[string]any{"type": "auth", "token": u.token})
	c.next()
	for _, in := range []string{`{"type":`, `{"type":"subscribe","ref":"r"}`, `{"type":"join","workspaceId":"nope"}`, `[1,2]`, `{"type":"ping","admin":true}`} {
		c.send(in)
		if m := c.next(); m["type"] != "error" || m["code"] != "bad_request" {
			t.Fatalf("%s answered %v", in, m)
		}
	}
	c.quietSoFar() // still open
	c.send(`{"type":"ping","ref":"` + strings.Repeat("x", 17<<10) + `"}`)
	if code := c.closeCode(); code != websocket.StatusMessageTooBig {
		t.Fatalf("an oversized frame closed with %d, want 1009", code)
	}
	// A token in the URL is refused outright.
	ctx, cancel := context.WithTimeout(context.Background(), rtWait)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, s.wsURL()+"?token="+u.token, nil); err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("a query-string token: %v", err)
	}
}
