package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

// verifyWebhook is the README's Go recipe (Integrations, Webhooks), verbatim: the README test
// below fails when the two differ.
func verifyWebhook(secret, header string, body []byte, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp outside the 5-minute tolerance")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// The README shows the recipe the tests verify with.
func TestREADMEWebhookRecipe(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("webhooks_e2e_test.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(func verifyWebhook.*?\n})\n```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README has no ```go block with func verifyWebhook")
	}
	if !strings.Contains(string(src), string(m[1])) {
		t.Fatalf("the README's verifyWebhook differs from the one the tests use:\n%s", m[1])
	}
}

// hookDelivery is one request a receiver got.
type hookDelivery struct {
	id, event string
	seq       int64
	payload   map[string]any
	status    int // what the receiver answered; 0 when it hung until the sender gave up
}

// hookReceiver is a webhook receiver on loopback that verifies every signature with the
// README's recipe and answers what its policy says (0: hang until the sender gives up).
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []hookDelivery
	policy func(n int, d hookDelivery) int // n: requests before this one
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, policy: func(int, hookDelivery) int { return 200 }}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	d := hookDelivery{id: req.Header.Get("X-WorkspaceOps-Delivery"), event: req.Header.Get("X-WorkspaceOps-Event")}
	d.seq, _ = strconv.ParseInt(req.Header.Get("X-WorkspaceOps-Seq"), 10, 64)
	if err := verifyWebhook(r.secret, req.Header.Get("X-WorkspaceOps-Signature"), body, time.Now()); err != nil {
		r.t.Errorf("delivery %s: %v", d.id, err)
	}
	if err := json.Unmarshal(body, &d.payload); err != nil {
		r.t.Errorf("delivery %s: body %q: %v", d.id, body, err)
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("User-Agent") != "WorkspaceOps-Webhooks/1" ||
		d.payload["id"] != d.id || d.payload["seq"] != float64(d.seq) || d.payload["event"] != d.event {
		r.t.Errorf("delivery %s: %s %v %s", d.id, req.Method, req.Header, body)
	}
	d.status = r.policy(len(r.got), d)
	n := len(r.got)
	r.got = append(r.got, d)
	r.mu.Unlock()
	if d.status == 0 {
		<-req.Context().Done()
		return
	}
	r.mu.Lock()
	r.got[n].status = d.status
	r.mu.Unlock()
	w.WriteHeader(d.status)
}

func (r *hookReceiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *hookReceiver) setPolicy(p func(n int, d hookDelivery) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.policy = p
}

func (r *hookReceiver) deliveries() []hookDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookDelivery(nil), r.got...)
}

// succeeded returns the seqs answered 2xx, in the order received.
func (r *hookReceiver) succeeded() []int64 {
	var out []int64
	for _, d := range r.deliveries() {
		if d.status >= 200 && d.status < 300 {
			out = append(out, d.seq)
		}
	}
	return out
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hookEnv lets webhooks reach the loopback receiver over http and retries fast.
func hookEnv(retry string) map[string]string {
	return map[string]string{
		"WSO_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WSO_WEBHOOK_ALLOW_HTTP": "true", "WSO_WEBHOOK_RETRY": retry,
		"WSO_WEBHOOK_POLL": "200ms",
	}
}

// workItem creates a work item as u and returns the seq of its work-item:created entry.
func (s *server) workItem(t *testing.T, u user, wid, title string) int64 {
	t.Helper()
	id := s.call("POST", "/api/v1/workspaces/"+wid+"/work-items", u.token, map[string]string{"title": title}).want(t, 201).str("id")
	items := s.call("GET", "/api/v1/workspaces/"+wid+"/audit-log?action=WORK_ITEM_CREATED&targetId="+id, u.token, nil).want(t, 200).items()
	if len(items) != 1 {
		t.Fatalf("%d audit entries for the creation of %s", len(items), id)
	}
	return int64(items[0]["seq"].(float64))
}

func equalInts(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
}

// TestWebhooks: the API refuses what it must (roles, internal destinations, bad input) and
// changes nothing then; deliveries are signed, in seq order, retried with the same delivery id
// (a receiver answering 500 twice gets the delivery exactly twice more), logged, redelivered,
// replayed; after the last try the webhook is deactivated with an audit entry, and
// re-activating it resumes from its cursor.
func TestWebhooks(t *testing.T) {
	rcv := newHookReceiver(t)
	s := startServer(t, hookEnv("100ms,100ms,100ms"))
	wid, owner, member, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/webhooks"
	u, _ := url.Parse(rcv.srv.URL)
	hookURL := rcv.srv.URL + "/in?source=workspaceops"

	s.call("POST", base, viewer.token, map[string]any{"url": hookURL, "events": []string{"*"}}).want(t, 403, "forbidden")
	s.call("POST", base, member.token, map[string]any{"url": hookURL, "events": []string{"*"}}).want(t, 403, "forbidden")
	// localhost resolves to loopback and is not allowed (only 127.0.0.1 is, for this test).
	s.call("POST", base, owner.token, map[string]any{"url": "http://localhost:" + u.Port() + "/in", "events": []string{"*"}}).want(t, 400, "webhook_destination_refused")
	s.call("POST", base, owner.token, map[string]any{"url": "http://10.1.2.3/in", "events": []string{"*"}}).want(t, 400, "webhook_destination_refused")
	s.call("POST", base, owner.token, map[string]any{"url": "http://[::1]:" + u.Port() + "/in", "events": []string{"*"}}).want(t, 400, "webhook_destination_refused")
	s.call("POST", base, owner.token, map[string]any{"url": "http://user:pw@127.0.0.1/in", "events": []string{"*"}}).want(t, 400, "validation_failed")
	s.call("POST", base, owner.token, map[string]any{"url": hookURL, "events": []string{"work-item:exploded"}}).want(t, 400, "validation_failed")
	if n := len(s.call("GET", base, owner.token, nil).want(t, 200).items()); n != 0 {
		t.Fatalf("%d webhooks after refusals", n)
	}
	s.call("GET", base, member.token, nil).want(t, 403, "forbidden")

	created := s.call("POST", base, owner.token, map[string]any{"url": hookURL, "events": []string{"work-item:created"}}).want(t, 201)
	id, secret := created.str("id"), created.str("secret")
	if len(secret) < 32 || created.body["active"] != true || created.header.Get("Location") != base+"/"+id {
		t.Fatalf("created %s", created.raw)
	}
	rcv.setSecret(secret)
	if got := s.call("GET", base+"/"+id, owner.token, nil).want(t, 200); strings.Contains(got.raw, secret) || got.body["secret"] != nil {
		t.Fatalf("GET shows the secret: %s", got.raw)
	}
	if list := s.call("GET", base, owner.token, nil).want(t, 200); strings.Contains(list.raw, secret) {
		t.Fatalf("the list shows the secret: %s", list.raw)
	}
	// A change of URL is checked as a creation is, and a refused one changes nothing.
	s.call("PATCH", base+"/"+id, owner.token, map[string]any{"url": "http://localhost:" + u.Port() + "/in"}).want(t, 400, "webhook_destination_refused")
	if got := s.call("GET", base+"/"+id, owner.token, nil).want(t, 200); got.str("url") != hookURL {
		t.Fatalf("url after a refused change: %s", got.raw)
	}

	// 1. The first delivery fails twice (500), then everything succeeds, in order.
	rcv.setPolicy(func(n int, _ hookDelivery) int {
		if n < 2 {
			return 500
		}
		return 200
	})
	a, b, c := s.workItem(t, member, wid, "one"), s.workItem(t, member, wid, "two"), s.workItem(t, member, wid, "three")
	waitFor(t, "three deliveries succeed", func() bool { return len(rcv.succeeded()) == 3 })
	got := rcv.deliveries()
	seqs := make([]int64, len(got))
	for i, d := range got {
		seqs[i] = d.seq
	}
	equalInts(t, "requests received", seqs, a, a, a, b, c)
	if got[0].id != got[1].id || got[1].id != got[2].id || got[2].id == got[3].id {
		t.Fatalf("delivery ids %s %s %s %s: the same across retries, new for the next", got[0].id, got[1].id, got[2].id, got[3].id)
	}
	data, _ := got[3].payload["data"].(map[string]any)
	if got[3].payload["webhookId"] != id || got[3].payload["workspaceId"] != wid || data["action"] != "WORK_ITEM_CREATED" ||
		data["actorId"] != member.id || data["workspaceId"] != wid || data["targetType"] != "work-item" || data["entryId"] == nil {
		t.Fatalf("payload %v", got[3].payload)
	}
	log := s.call("GET", base+"/"+id+"/deliveries", owner.token, nil).want(t, 200).items()
	var rows []string
	for _, r := range log {
		rows = append(rows, fmt.Sprintf("%v/%v/%v", r["seq"], r["attempt"], r["status"]))
	}
	if want := fmt.Sprintf("[%d/1/succeeded %d/1/succeeded %d/3/succeeded %d/2/pending %d/1/pending]", c, b, a, a, a); fmt.Sprint(rows) != want {
		t.Fatalf("deliveries log %v, want %s", rows, want)
	}
	if log[4]["responseStatus"] != float64(500) || log[4]["error"] != "the receiver answered 500" || log[4]["id"] != got[0].id {
		t.Fatalf("a failed attempt: %v", log[4])
	}
	if h := s.call("GET", base+"/"+id, owner.token, nil).want(t, 200); h.body["lastDeliveredSeq"] != float64(c) {
		t.Fatalf("cursor %v, want %d", h.body["lastDeliveredSeq"], c)
	}

	// 2. Redeliver sends one delivery again with its id; the cursor stays.
	s.call("POST", base+"/"+id+"/deliveries/"+got[0].id+"/redeliver", owner.token, nil).want(t, 202)
	waitFor(t, "the redelivery", func() bool { return len(rcv.deliveries()) == 6 })
	if d := rcv.deliveries()[5]; d.id != got[0].id || d.seq != a {
		t.Fatalf("redelivered %s seq %d, want %s seq %d", d.id, d.seq, got[0].id, a)
	}
	s.call("POST", base+"/"+id+"/deliveries/0123456789abcdef01234567/redeliver", owner.token, nil).want(t, 404, "delivery_not_found")

	// 3. Replay from before the first: all three again, in order.
	s.call("POST", base+"/"+id+"/replay", owner.token, map[string]any{"since": 1 << 40}).want(t, 400, "validation_failed")
	s.call("POST", base+"/"+id+"/replay", owner.token, map[string]any{"since": -1}).want(t, 400, "validation_failed")
	s.call("POST", base+"/"+id+"/replay", owner.token, map[string]any{"since": a - 1}).want(t, 202)
	waitFor(t, "the replay", func() bool { return len(rcv.succeeded()) == 7 })
	equalInts(t, "succeeded after the replay", rcv.succeeded()[4:], a, b, c)

	// 4. A receiver that keeps failing: four tries (three retries), then the webhook is off.
	rcv.setPolicy(func(int, hookDelivery) int { return 503 })
	before := len(rcv.deliveries())
	d := s.workItem(t, member, wid, "four")
	waitFor(t, "deactivation", func() bool {
		return s.call("GET", base+"/"+id, owner.token, nil).want(t, 200).body["active"] == false
	})
	off := s.call("GET", base+"/"+id, owner.token, nil).want(t, 200)
	if reason := off.str("disabledReason"); !strings.Contains(reason, fmt.Sprintf("seq %d failed 4 times", d)) || strings.Contains(reason, secret) {
		t.Fatalf("disabledReason %q", reason)
	}
	if n := len(rcv.deliveries()) - before; n != 4 {
		t.Fatalf("%d tries of the failing delivery, want 4", n)
	}
	audit := s.call("GET", "/api/v1/workspaces/"+wid+"/audit-log?action=WEBHOOK_DISABLED", viewer.token, nil).want(t, 200).items()
	if len(audit) != 1 || audit[0]["targetId"] != id || audit[0]["event"] != "webhook:disabled" {
		t.Fatalf("audit entries %v", audit)
	}

	// 5. Re-activated, it resumes from its cursor: the failed entry first.
	rcv.setPolicy(func(int, hookDelivery) int { return 204 })
	on := s.call("PATCH", base+"/"+id, owner.token, map[string]any{"active": true}).want(t, 200)
	if on.body["active"] != true || on.body["disabledReason"] != nil {
		t.Fatalf("re-activated %s", on.raw)
	}
	waitFor(t, "the resumed delivery", func() bool { return len(rcv.succeeded()) == 8 })
	equalInts(t, "resumed", rcv.succeeded()[7:], d)

	s.call("DELETE", base+"/"+id, owner.token, nil).want(t, 204)
	s.call("GET", base+"/"+id, owner.token, nil).want(t, 404, "webhook_not_found")
}

// TestWebhooksSurviveRestart: a server stopped in the middle of a backlog (one delivery in
// flight) delivers all of it after it starts again, in order, nothing lost.
func TestWebhooksSurviveRestart(t *testing.T) {
	rcv := newHookReceiver(t)
	env := withStore(t, hookEnv("200ms,200ms,200ms,200ms,200ms"))
	env["JWT_SECRET"], env["WSO_LOG_LEVEL"] = testSecret, "warn"
	srv := &restartable{t: t, addr: freeAddr(t), env: env}
	srv.start()
	t.Cleanup(srv.stop)
	s := &server{base: "http://" + srv.addr, t: t}
	wid, owner, member, _ := s.team(t)
	// The third request hangs until the server gives up on it (by stopping).
	rcv.setPolicy(func(n int, _ hookDelivery) int {
		if n == 2 {
			return 0
		}
		return 200
	})
	created := s.call("POST", "/api/v1/workspaces/"+wid+"/webhooks", owner.token, map[string]any{
		"url": rcv.srv.URL, "events": []string{"work-item:created"}, "secret": "a-secret-of-our-own-choosing",
	}).want(t, 201)
	if created.str("secret") != "a-secret-of-our-own-choosing" {
		t.Fatalf("created %s", created.raw)
	}
	rcv.setSecret("a-secret-of-our-own-choosing")
	var want []int64
	for i := range 6 {
		want = append(want, s.workItem(t, member, wid, fmt.Sprint("item ", i)))
	}
	waitFor(t, "the third delivery in flight", func() bool { return len(rcv.deliveries()) == 3 })
	srv.stop()
	srv.start()
	want = append(want, s.workItem(t, member, wid, "after the restart"))
	waitFor(t, "the whole backlog", func() bool { return len(rcv.succeeded()) == len(want) })
	equalInts(t, "succeeded", rcv.succeeded(), want...)
	checkNonDecreasing(t, rcv.deliveries())
}

// checkNonDecreasing: a receiver never sees an older entry after a newer one (without a replay).
func checkNonDecreasing(t *testing.T, ds []hookDelivery) {
	t.Helper()
	for i := 1; i < len(ds); i++ {
		if ds[i].seq < ds[i-1].seq {
			t.Fatalf("seq %d received after seq %d", ds[i].seq, ds[i-1].seq)
		}
	}
}

// TestWebhookClusterTakeover: two instances of the binary share a MongoDB store; one delivers
// a webhook (the lease holder) while the other waits, and when the holder is killed in the
// middle of a delivery the other takes over from the persisted cursor: nothing is lost, order
// holds.
func TestWebhookClusterTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	rcv := newHookReceiver(t)
	db := mongotest.Database(t)
	env := hookEnv("300ms,300ms,300ms,300ms,300ms")
	for k, v := range map[string]string{
		"MONGO_URI": mongotest.URI(), "WSO_MONGO_DATABASE": db.Name(), "JWT_SECRET": testSecret, "WSO_LOG_LEVEL": "warn",
		"WSO_WEBHOOK_LEASE": "3s", "WSO_WS_DRAIN": "100ms",
	} {
		env[k] = v
	}
	bin := buildBinary(t)
	nodes := []*node{startNode(t, bin, env), startNode(t, bin, env)}
	s0 := nodes[0].srv
	wid, owner, member, _ := s0.team(t)
	rcv.setPolicy(func(n int, _ hookDelivery) int {
		if n == 2 {
			return 0 // hangs until its sender dies
		}
		return 200
	})
	id := s0.call("POST", "/api/v1/workspaces/"+wid+"/webhooks", owner.token, map[string]any{
		"url": rcv.srv.URL, "events": []string{"work-item:created"}, "secret": "cluster-secret-0123456789",
	}).want(t, 201).str("id")
	rcv.setSecret("cluster-secret-0123456789")
	var want []int64
	for i := range 5 {
		want = append(want, nodes[i%2].srv.workItem(t, member, wid, fmt.Sprint("item ", i)))
	}
	waitFor(t, "the third delivery in flight", func() bool { return len(rcv.deliveries()) == 3 })

	// The holder is named in the stored lease (host/pid/random).
	var doc struct {
		LeaseOwner string `bson:"leaseOwner"`
	}
	if err := db.Collection("webhooks").FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(doc.LeaseOwner, "/")
	holder := -1
	for i, n := range nodes {
		if len(parts) == 3 && parts[1] == strconv.Itoa(n.cmd.Process.Pid) {
			holder = i
		}
	}
	if holder < 0 {
		t.Fatalf("lease owner %q is neither instance", doc.LeaseOwner)
	}
	// While the holder keeps its lease (renewed during the hanging request), the other
	// instance delivers nothing, for more than two lease periods.
	time.Sleep(7 * time.Second)
	if n := len(rcv.deliveries()); n != 3 {
		t.Fatalf("%d requests while the lease was held, want 3", n)
	}
	c := &cluster{nodes: nodes}
	c.kill(t, holder)
	other := nodes[1-holder].srv
	// At least as many as wanted, so that a duplicate fails below, naming what arrived.
	waitFor(t, "the other instance takes over", func() bool { return len(rcv.succeeded()) >= len(want) })
	want = append(want, other.workItem(t, member, wid, "after the takeover"))
	waitFor(t, "a new entry after the takeover", func() bool { return len(rcv.succeeded()) >= len(want) })
	equalInts(t, "succeeded", rcv.succeeded(), want...)
	checkNonDecreasing(t, rcv.deliveries())
}
