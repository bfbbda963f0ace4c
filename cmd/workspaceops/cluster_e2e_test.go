package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
	"github.com/workspaceops/workspaceops/adapters/natsbus/natstest"
)

// TestClusterOverNATS runs three instances of the real binary as separate processes on one
// store, joined by a real NATS server (in this process, on loopback). Realtime clients on every
// instance must receive every event of their workspace exactly once, in seq order, whichever
// instance the change was made through — also when an instance is killed (its clients resume
// on the others) and while NATS is down and after it comes back.
func TestClusterOverNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes and a NATS server")
	}
	nats := natstest.Start(t)
	c := startCluster(t, 3, map[string]string{
		"MONGO_URI": mongotest.URI(), "WSO_MONGO_DATABASE": mongotest.Database(t).Name(), "JWT_SECRET": testSecret,
		"WSO_NATS_URL": nats.URL(), "WSO_NATS_POLL": "300ms", "WSO_OVERVIEW_COALESCE": "200ms",
		"WSO_LOG_LEVEL": "warn", "WSO_LOG_FORMAT": "json", "WSO_WS_DRAIN": "100ms",
	})
	wid, _, member, viewer := c.nodes[0].srv.team(t)

	// Two clients on each instance, joined from the workspace's first seq.
	ctx, stopFollowers := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stopFollowers(); wg.Wait() })
	var followers []*follower
	for i := range c.nodes {
		for _, u := range []user{member, viewer} {
			f := &follower{name: fmt.Sprintf("%s@%d", u.email, i), token: u.token, wid: wid, cluster: c, at: i}
			followers = append(followers, f)
			wg.Go(func() { f.run(ctx) })
		}
	}

	// An SSE ticket issued by one instance opens a stream on another (no sticky sessions), once.
	tk := c.nodes[0].srv.ticket(t, viewer)
	code, sse := c.nodes[1].srv.openSSE(t, tk, wid, "0")
	if code != http.StatusOK {
		t.Fatalf("a ticket from instance 0 on instance 1: %d", code)
	}
	if code, _ := c.nodes[2].srv.openSSE(t, tk, wid, ""); code != http.StatusUnauthorized {
		t.Fatalf("the same ticket again, on instance 2: %d, want 401", code)
	}

	// 1. Changes made concurrently through every instance reach every client.
	c.changes(t, member, wid, []int{0, 1, 2}, 8, 0)
	c.settle(t, viewer, wid, followers)
	head := c.head(t, viewer, wid)
	for want := int64(1); want <= head; {
		select {
		case m, ok := <-sse.msgs:
			if !ok {
				t.Fatalf("the SSE stream ended at seq %d", want)
			}
			if m.frame["type"] != "event" {
				continue
			}
			if got := int64(m.frame["seq"].(float64)); got != want || m.id != strconv.FormatInt(got, 10) {
				t.Fatalf("SSE event seq %d (id %s), want %d", got, m.id, want)
			}
			want++
		case <-time.After(rtWait):
			t.Fatalf("the SSE stream is stuck before seq %d of %d", want, head)
		}
	}

	// 2. An instance dies mid-stream: its clients resume on the others, nothing missed.
	done := make(chan struct{})
	go func() { defer close(done); c.changes(t, member, wid, []int{0, 1}, 15, 20*time.Millisecond) }()
	time.Sleep(100 * time.Millisecond)
	c.kill(t, 2)
	<-done
	c.settle(t, viewer, wid, followers)
	for _, f := range followers {
		if f.at == 2 && f.reconnects.Load() == 0 {
			t.Errorf("%s was on the killed instance and never reconnected", f.name)
		}
	}

	// 3. NATS goes away: REST keeps serving, realtime reports not ready, and clients still get
	// the changes made through the other instance (read from the log); then NATS comes back.
	nats.Stop()
	for _, n := range c.alive() {
		n.waitStatus(t, "/readyz/realtime", http.StatusServiceUnavailable)
		if r := n.srv.call("GET", "/readyz", "", nil).want(t, 200); !strings.Contains(r.raw, `"realtime":"not_ready"`) {
			t.Fatalf("readyz while NATS is down: %s", r.raw)
		}
	}
	c.changes(t, member, wid, []int{0, 1}, 5, 0)
	c.settle(t, viewer, wid, followers)
	nats.Restart()
	for _, n := range c.alive() {
		n.waitStatus(t, "/readyz/realtime", http.StatusOK)
	}
	c.changes(t, member, wid, []int{0, 1}, 5, 0)
	c.settle(t, viewer, wid, followers)

	for _, f := range followers {
		f.mu.Lock()
		t.Logf("%s: %d events, last seq %d, %d reconnects", f.name, f.count, f.last, f.reconnects.Load())
		if f.count != int(f.last) || f.dups != 0 || f.resyncs != 0 || len(f.problems) > 0 {
			t.Errorf("%s: %d events up to seq %d, %d duplicates, %d resyncs, problems %v", f.name, f.count, f.last, f.dups, f.resyncs, f.problems)
		}
		f.mu.Unlock()
	}
}

// cluster is N processes of the real binary on one store.
type cluster struct {
	nodes []*node
}

type node struct {
	srv  *server
	cmd  *exec.Cmd
	logs *syncBuffer
	dead atomic.Bool
}

func startCluster(t *testing.T, n int, env map[string]string) *cluster {
	t.Helper()
	bin := buildBinary(t)
	c := &cluster{}
	for range n {
		c.nodes = append(c.nodes, startNode(t, bin, env))
	}
	return c
}

// buildBinary builds the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "workspaceops")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startNode runs bin serve as a process on a free loopback port with env, stopped (or, when
// killed, waited for) when the test ends.
func startNode(t *testing.T, bin string, env map[string]string) *node {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "WSO_ADDR="+addr, "WSO_RATE_LIMIT=off", "WSO_METRICS_ADDR=off")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	nd := &node{srv: &server{base: "http://" + addr, t: t}, cmd: cmd, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = nd.logs, nd.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		if !nd.dead.Load() {
			_ = cmd.Process.Signal(os.Interrupt)
		}
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("an instance did not stop within 30 s")
		}
		if t.Failed() {
			t.Logf("instance %s logs:\n%s", addr, nd.logs.String())
		}
	})
	waitHealthy(t, nd.srv, exited, nd.logs)
	return nd
}

func (c *cluster) alive() []*node {
	var out []*node
	for _, n := range c.nodes {
		if !n.dead.Load() {
			out = append(out, n)
		}
	}
	return out
}

// kill ends an instance with SIGKILL: no drain, no close frames.
func (c *cluster) kill(t *testing.T, i int) {
	t.Helper()
	c.nodes[i].dead.Store(true)
	if err := c.nodes[i].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
}

// changes creates perNode work items through each listed instance, concurrently, spaced by
// gap; every one must be accepted.
func (c *cluster) changes(t *testing.T, u user, wid string, through []int, perNode int, gap time.Duration) {
	var wg sync.WaitGroup
	errs := make(chan error, len(through)*perNode)
	for _, i := range through {
		base := c.nodes[i].srv.base
		wg.Go(func() {
			for k := range perNode {
				body, _ := json.Marshal(map[string]string{"title": fmt.Sprintf("via %d #%d", i, k)})
				req, _ := http.NewRequest("POST", base+"/api/v1/workspaces/"+wid+"/work-items", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+u.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("create through instance %d: %d", i, resp.StatusCode)
				}
				time.Sleep(gap)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// head reads the workspace's latest seq from the audit log, as u.
func (c *cluster) head(t *testing.T, u user, wid string) int64 {
	t.Helper()
	items := c.alive()[0].srv.call("GET", "/api/v1/workspaces/"+wid+"/audit-log?limit=1", u.token, nil).want(t, 200).items()
	if len(items) == 0 {
		return 0
	}
	return int64(items[0]["seq"].(float64))
}

// settle waits until every follower has seen the log's head, and the head stopped moving
// (overview:updated events follow changes by the coalescing window). Each round is bounded by
// rtWait: the bus delivers in milliseconds and a poll while NATS is down takes WSO_NATS_POLL,
// while an instance that hears nothing from the others would only catch up when one of its
// own later entries makes it fill the gap.
func (c *cluster) settle(t *testing.T, u user, wid string, fs []*follower) {
	t.Helper()
	for prev := int64(-1); ; {
		head := c.head(t, u, wid)
		deadline := time.Now().Add(rtWait)
		for _, f := range fs {
			for f.lastSeq() < head {
				if time.Now().After(deadline) {
					t.Fatalf("%s is at seq %d, the log at %d, after %s", f.name, f.lastSeq(), head, rtWait)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		if head == prev {
			return
		}
		prev = head
		time.Sleep(500 * time.Millisecond)
	}
}

func (n *node) waitStatus(t *testing.T, path string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, err := httpGet(n.srv.base + path)
		if err == nil && code == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%s answered %d (%v), want %d", n.srv.base, path, code, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// follower is a realtime client that keeps one workspace joined on some instance, resuming on
// another (with since) when its instance goes away, and checks what it receives: every seq
// once, in order, none skipped.
type follower struct {
	name, token, wid string
	cluster          *cluster
	at               int // the instance it starts on
	reconnects       atomic.Int32

	mu       sync.Mutex
	last     int64
	count    int
	dups     int
	resyncs  int
	problems []string
}

func (f *follower) lastSeq() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *follower) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.problems) < 10 {
		f.problems = append(f.problems, fmt.Sprintf(format, args...))
	}
}

func (f *follower) run(ctx context.Context) {
	for i := f.at; ctx.Err() == nil; i++ {
		n := f.cluster.nodes[i%len(f.cluster.nodes)]
		if n.dead.Load() {
			continue
		}
		if err := f.session(ctx, n.srv); err != nil && ctx.Err() == nil {
			f.reconnects.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// session is one connection: join with since, then read until it fails.
func (f *follower) session(ctx context.Context, s *server) error {
	dctx, cancel := context.WithTimeout(ctx, rtWait)
	conn, _, err := websocket.Dial(dctx, s.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + f.token}}})
	cancel()
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	join, _ := json.Marshal(map[string]any{"type": "join", "workspaceId": f.wid, "since": f.lastSeq(), "ref": "j"})
	if err := conn.Write(ctx, websocket.MessageText, join); err != nil {
		return err
	}
	joined := false
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		var m struct {
			Type        string `json:"type"`
			WorkspaceID string `json:"workspaceId"`
			Seq         int64  `json:"seq"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			f.problem("undecodable frame %s", b)
			continue
		}
		switch m.Type {
		case "joined":
			joined = true
		case "event":
			if joined && m.WorkspaceID == f.wid { // before joined only the user room speaks
				f.observe(m.Seq)
			}
		case "resync":
			f.mu.Lock()
			f.resyncs++
			f.mu.Unlock()
		case "removed", "error":
			f.problem("frame %s", b)
		}
	}
}

func (f *follower) observe(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case seq <= f.last:
		f.dups++
	case seq == f.last+1:
		f.last = seq
		f.count++
	default:
		if len(f.problems) < 10 {
			f.problems = append(f.problems, fmt.Sprintf("seq %d arrived right after %d", seq, f.last))
		}
		f.last = seq
	}
}
