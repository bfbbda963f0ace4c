package main

import (
	"bufio"
	"context"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/workspaceops/workspaceops/api"
)

// The browser end to end test: Debian's chromium, headless, driven with chromedp, runs the
// realtime client (api/client/workspaceops-realtime.js) as the server serves it, in a page of its
// own origin, against the real command on loopback. Between the browser and the server sits a
// TCP proxy the test controls, so it can cut the network the way networks fail: refuse every
// connection (the server is unreachable) or only WebSocket handshakes (a proxy that blocks
// WebSockets). Waits are bounded (browserWait); nothing asserts how fast anything is.

const browserWait = 20 * time.Second

// chromiumPath finds Debian's chromium. It never downloads a browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	const why = "chromium is not installed (/usr/bin/chromium; `apt-get install -y chromium`, which .ci/run does)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: the browser end-to-end test cannot run, and CI is set, so this fails instead of skipping", why)
	}
	t.Skipf("%s; skipped because CI is unset (with CI set this test fails)", why)
	return ""
}

// TestRealtimeClientIsServed checks the stable URL of the client: the embedded file, as
// JavaScript, revalidated by ETag. It needs no browser.
func TestRealtimeClientIsServed(t *testing.T) {
	s := startServer(t, nil)
	r := s.call("GET", "/client/workspaceops-realtime.js", "", nil, "Origin", "http://localhost:3000").want(t, 200)
	if ct := r.header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if r.raw != string(api.RealtimeClient) || !strings.Contains(r.raw, "export function connect(") {
		t.Fatalf("the served client is not api/client/workspaceops-realtime.js (%d bytes)", len(r.raw))
	}
	if r.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("no CORS for an allowed origin: a cross-origin module import would fail: %v", r.header)
	}
	etag := r.header.Get("ETag")
	s.call("GET", "/client/workspaceops-realtime.js", "", nil, "If-None-Match", etag).want(t, 304)
	s.call("GET", "/client/workspaceops-realtime.js", "", nil, "If-None-Match", `"0"`).want(t, 200)
}

func TestBrowserRealtimeClient(t *testing.T) {
	chromium := chromiumPath(t)

	// The page's own origin; the server must allow it (CORS and WebSocket handshakes).
	var pageCfg atomic.Value // pageConfig
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := testPage.Execute(w, pageCfg.Load()); err != nil {
			t.Errorf("render the test page: %v", err)
		}
	}))
	t.Cleanup(page.Close)

	// The real command, restartable on the same address and database.
	srv := &restartable{t: t, addr: freeAddr(t), env: withStore(t, map[string]string{
		"JWT_SECRET":            testSecret,
		"WSO_LOG_LEVEL":         "warn",
		"WSO_ALLOWED_ORIGINS":   page.URL,
		"WSO_WS_DRAIN":          "100ms",
		"WSO_OVERVIEW_COALESCE": "1h",
	})}
	srv.start()
	t.Cleanup(srv.stop)
	s := &server{base: "http://" + srv.addr, t: t}

	// The browser reaches the server only through the proxy.
	proxy := newCutProxy(t, srv.addr)

	// A owns workspace W with a work item; B is a member.
	wid, a, b, _ := s.team(t)
	items := "/api/v1/workspaces/" + wid + "/work-items"
	item := s.call("POST", items, a.token, map[string]string{"title": "Launch checklist"}).want(t, 201).str("id")
	move := func(to string) {
		t.Helper()
		s.call("PATCH", items+"/"+item+"/status", a.token, map[string]string{"status": to}).want(t, 200)
	}
	pageCfg.Store(pageConfig{
		API: "http://" + proxy.addr(), Email: b.email, Password: "correct-horse", Workspace: wid,
		RetryWebSocketAfter: 1500,
	})

	ctx, shot := openBrowser(t, chromium, "browser-realtime-failed.png", pageState)

	// 1. The page loads the client from the server, logs in as B, joins W.
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL+"/")); err != nil {
		t.Fatalf("open the test page: %v", err)
	}
	waitPage(t, ctx, "the page joined W over WebSocket", `window.e2e && window.e2e.joins.some(j => j.transport === 'websocket')`)

	// A moves the item; B's page shows it.
	move("ACTIVE")
	waitPage(t, ctx, "the first status change", `window.e2e.changes.length === 1`)

	// 2. The server restarts on the same store while the network refuses the browser, and A
	// makes two changes meanwhile. The page cannot have them until it reconnects by itself and
	// resumes from its last seq (the hub is new: the replay comes from the audit log).
	proxy.setMode(proxyRefuse)
	srv.stop() // WebSockets are closed with 1001 (going away)
	waitPage(t, ctx, "the page saw the drop", `window.e2e.statuses.includes('reconnecting/websocket')`)
	srv.start()
	move("COMPLETED")
	move("ACTIVE")
	if n := evalPage[int](t, ctx, `window.e2e.changes.length`); n != 1 {
		t.Fatalf("the page has %d changes while it cannot reach the server", n)
	}
	proxy.setMode(proxyPass)
	waitPage(t, ctx, "both changes made while disconnected", `window.e2e.changes.length >= 3`)
	if tr := evalPage[string](t, ctx, `window.rt.transport`); tr != "websocket" {
		t.Fatalf("after a restart the page is on %q, want websocket (the server was unreachable, not WebSockets blocked)", tr)
	}

	// 3. WebSockets fail for the page (the proxy drops the live socket and refuses every
	// handshake, as some corporate proxies do; REST and SSE pass): it falls back to SSE.
	proxy.setMode(proxyBlockWebSocket)
	proxy.dropAll()
	waitPage(t, ctx, "the page joined W over SSE", `window.e2e.joins.some(j => j.transport === 'sse') && window.rt.transport === 'sse' && window.rt.status === 'open'`)
	move("COMPLETED")
	waitPage(t, ctx, "a change over SSE", `window.e2e.changes.length >= 4`)

	// 4. WebSockets work again: the client tries them again by itself and leaves SSE.
	proxy.setMode(proxyPass)
	waitPage(t, ctx, "back on WebSocket", `window.rt.transport === 'websocket' && window.e2e.joins.filter(j => j.transport === 'websocket').length >= 3`)
	move("ACTIVE")
	waitPage(t, ctx, "a change over WebSocket again", `window.e2e.changes.length >= 5`)

	// Exactly once each, in order, over the transport of its phase.
	type change struct {
		Seq       int64  `json:"seq"`
		From      string `json:"from"`
		To        string `json:"to"`
		TargetID  string `json:"targetId"`
		Transport string `json:"transport"`
	}
	changes := evalPage[[]change](t, ctx, `window.e2e.changes`)
	want := []struct{ from, to, transport string }{
		{"DRAFT", "ACTIVE", "websocket"},
		{"ACTIVE", "COMPLETED", "websocket"},
		{"COMPLETED", "ACTIVE", "websocket"},
		{"ACTIVE", "COMPLETED", "sse"},
		{"COMPLETED", "ACTIVE", "websocket"},
	}
	if len(changes) != len(want) {
		t.Fatalf("the page shows %d status changes, want %d exactly once each: %+v", len(changes), len(want), changes)
	}
	for i, w := range want {
		c := changes[i]
		if c.From != w.from || c.To != w.to || c.TargetID != item || c.Transport != w.transport {
			t.Errorf("change %d = %+v, want %s→%s of %s over %s", i+1, c, w.from, w.to, item, w.transport)
		}
		if i > 0 && c.Seq <= changes[i-1].Seq {
			t.Errorf("change %d has seq %d after %d", i+1, c.Seq, changes[i-1].Seq)
		}
	}
	// Every event the page received (overview events included) came once.
	if dups := evalPage[[]int64](t, ctx, `(() => { const s = window.e2e.seqs, d = []; s.forEach((v, i) => { if (s.indexOf(v) !== i) d.push(v) }); return d })()`); len(dups) != 0 {
		t.Fatalf("duplicate seqs dispatched: %v", dups)
	}
	// The audit feed hears every event too.
	if n, m := evalPage[int](t, ctx, `window.e2e.audit`), evalPage[int](t, ctx, `window.e2e.seqs.length`); n != m || n < len(want) {
		t.Fatalf("audit-log:created fired %d times for %d events", n, m)
	}
	statuses := evalPage[[]string](t, ctx, `window.e2e.statuses`)
	t.Logf("statuses: %s", strings.Join(statuses, " → "))
	shot("browser-realtime.png")
}

// pageConfig is what the test page needs.
type pageConfig struct {
	API                 string `json:"api"`
	Email               string `json:"email"`
	Password            string `json:"password"`
	Workspace           string `json:"workspace"`
	RetryWebSocketAfter int    `json:"retryWebSocketAfter"`
}

// testPage imports the client from the server's stable URL, logs in as B over REST, joins W and
// shows what it receives. window.e2e is what the test reads.
var testPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WorkspaceOps realtime: browser end to end</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2430; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  .bar span { display: inline-block; margin-right: 18px; }
  .bar b { padding: 2px 8px; border-radius: 4px; background: #e8edf5; }
  .bar b.open { background: #c9f2d3; } .bar b.reconnecting, .bar b.connecting { background: #fde9b8; } .bar b.offline { background: #f8c9c9; }
  table { border-collapse: collapse; margin-top: 14px; min-width: 760px; }
  td, th { border-bottom: 1px solid #d8dee8; padding: 5px 10px; text-align: left; }
  th { background: #f3f5f9; }
  .sse { color: #8a4b00; font-weight: 600; } .websocket { color: #0b5394; font-weight: 600; }
  #log { margin-top: 14px; color: #5a6473; font-size: 13px; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>WorkspaceOps realtime client — user B watching workspace W</h1>
<div class="bar">
  <span>status <b id="status">loading</b></span>
  <span>transport <b id="transport">–</b></span>
  <span>events received <b id="count">0</b></span>
</div>
<table>
  <thead><tr><th>#</th><th>seq</th><th>event</th><th>change</th><th>via</th></tr></thead>
  <tbody id="changes"></tbody>
</table>
<div id="log"></div>
<script id="cfg" type="application/json">{{.}}</script>
<script type="module">
const cfg = JSON.parse(document.getElementById('cfg').textContent)
const e2e = (window.e2e = { changes: [], seqs: [], joins: [], statuses: [], audit: 0, errors: [] })
const $ = (id) => document.getElementById(id)
const log = (s) => { $('log').textContent += new Date().toISOString().slice(11, 23) + '  ' + s + '\n' }

const { connect } = await import(cfg.api + '/client/workspaceops-realtime.js')

async function login() {
  const res = await fetch(cfg.api + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: cfg.email, password: cfg.password }),
  })
  if (!res.ok) throw new Error('login: ' + res.status)
  return (await res.json()).token
}
let token = await login()
log('logged in as ' + cfg.email)

const rt = (window.rt = connect(cfg.api, {
  token: async ({ reason }) => {
    if (reason === 'unauthorized') token = await login()
    return token
  },
  backoff: { initial: 250, max: 2000, stableAfter: 3000 },
  fallback: { after: 2, retryWebSocketAfter: cfg.retryWebSocketAfter },
  onStatus: (status, { transport }) => {
    e2e.statuses.push(status + '/' + transport)
    $('status').textContent = status
    $('status').className = status
    $('transport').textContent = transport ?? '–'
    log('status ' + status + ' (' + transport + ')')
  },
  onError: (err) => { e2e.errors.push(err); log('error ' + err.code + ': ' + err.message) },
}))
rt.on('joined', (j) => { e2e.joins.push(j); log('joined W at seq ' + j.seq + ' over ' + j.transport) })
rt.on('*', (event, data, frame) => {
  e2e.seqs.push(frame.seq)
  $('count').textContent = e2e.seqs.length
})
rt.on('audit-log:created', () => { e2e.audit++ })
rt.on('work-item:status-changed', (data, frame) => {
  const c = { seq: frame.seq, from: data.from, to: data.to, targetId: data.targetId, transport: rt.transport }
  e2e.changes.push(c)
  const tr = document.createElement('tr')
  for (const v of [e2e.changes.length, c.seq, frame.event, c.from + ' → ' + c.to]) {
    const td = document.createElement('td'); td.textContent = v; tr.append(td)
  }
  const via = document.createElement('td'); via.textContent = c.transport; via.className = c.transport; tr.append(via)
  $('changes').append(tr)
})
rt.join(cfg.workspace)
</script>
</body>
</html>
`))

// openBrowser starts chromium (startBrowser) with its console captured and returns the
// browser's context and a screenshot function saving into the artifacts directory. A failing
// test leaves a screenshot (failedShot), the page's state and the console in its log.
func openBrowser(t *testing.T, chromium, failedShot string, state func(context.Context) string) (context.Context, func(name string)) {
	t.Helper()
	ctx := startBrowser(t, chromium)
	consoleLog := &syncBuffer{}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			fmt.Fprintf(consoleLog, "%s %s\n", m.Type, m.Text)
		}
	}()
	artifacts := artifactDir(t)
	shot := func(name string) {
		path := filepath.Join(artifacts, name)
		if err := screenshot(ctx, path); err != nil {
			t.Logf("screenshot %s: %v", path, err)
			return
		}
		t.Logf("screenshot: %s", path)
	}
	t.Cleanup(func() {
		if t.Failed() {
			shot(failedShot)
			t.Logf("page state: %s", state(ctx))
			t.Logf("browser console:\n%s", consoleLog.String())
		}
	})
	return ctx, shot
}

// startBrowser starts headless chromium with a fresh profile and returns a chromedp context;
// the test's cleanup stops it.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	profile := t.TempDir()
	output := &syncBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.WindowSize(1000, 760),
		chromedp.CombinedOutput(output),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser process to exit, before the profile is removed
	})
	// The first Run starts the browser, which lives as long as ctx: no timeout on it (a hung
	// start fails the test at its own timeout).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v\nbrowser output:\n%s", chromium, err, output.String())
	}
	return ctx
}

// waitPage waits until the expression is true in the page, failing after browserWait.
func waitPage(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	waitPageWithin(t, ctx, browserWait, what, expr)
}

// waitPageWithin is waitPage with another bound, for waits that span token lifetimes.
func waitPageWithin(t *testing.T, ctx context.Context, bound time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	var last error
	for time.Now().Before(deadline) {
		ok, err := evalPageErr[bool](ctx, "!!("+expr+")")
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited %s for %s (%s); last error %v; page state: %s", bound, what, expr, last, pageState(ctx))
}

func evalPage[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := evalPageErr[T](ctx, expr)
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func evalPageErr[T any](ctx context.Context, expr string) (T, error) {
	ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ectx, chromedp.Evaluate[T](expr))
}

// pageState is what the page knows, for failure messages.
func pageState(ctx context.Context) string {
	s, err := evalPageErr[string](ctx, `JSON.stringify({status: window.rt && window.rt.status, transport: window.rt && window.rt.transport, e2e: window.e2e, log: document.getElementById('log') && document.getElementById('log').textContent})`)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

func screenshot(ctx context.Context, path string) error {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// artifactDir is $WSO_ARTIFACTS_DIR when set (kept), else a test temporary directory (removed
// when the test ends).
func artifactDir(t *testing.T) string {
	if dir := os.Getenv("WSO_ARTIFACTS_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("WSO_ARTIFACTS_DIR: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// restartable runs the real command and can stop and start it again on the same address and
// database, as a deploy would.
type restartable struct {
	t    *testing.T
	addr string
	env  map[string]string

	mu     sync.Mutex
	cancel context.CancelFunc
	exited chan int
	logs   *syncBuffer
}

func (r *restartable) start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.t.Fatal("the server is already running")
	}
	env := map[string]string{"WSO_ADDR": r.addr, "WSO_RATE_LIMIT": "off"}
	for k, v := range r.env {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.exited, r.logs = cancel, make(chan int, 1), &syncBuffer{}
	exited, logs := r.exited, r.logs
	go func() { exited <- run(ctx, nil, func(k string) string { return env[k] }, logs) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + r.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case code := <-exited:
			r.t.Fatalf("server exited with %d before serving; logs:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("server not healthy in 30s: %v; logs:\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop shuts the server down gracefully (REST drains, WebSockets close with 1001) and waits.
func (r *restartable) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel == nil {
		return
	}
	r.cancel()
	select {
	case code := <-r.exited:
		if code != 0 {
			r.t.Errorf("server exited with %d; logs:\n%s", code, r.logs.String())
		}
	case <-time.After(30 * time.Second):
		r.t.Error("server did not stop within 30s")
	}
	r.cancel = nil
}

// cutProxy forwards TCP connections to the server, and cuts them on demand.
type cutProxy struct {
	t        *testing.T
	ln       net.Listener
	upstream string
	mode     atomic.Int32

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

const (
	proxyPass           = iota // forward everything
	proxyRefuse                // close every new connection at once: the server is unreachable
	proxyBlockWebSocket        // close a connection whose first request is GET /ws
)

func newCutProxy(t *testing.T, upstream string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.dropAll()
	})
	return p
}

func (p *cutProxy) addr() string    { return p.ln.Addr().String() }
func (p *cutProxy) setMode(m int32) { p.mode.Store(m) }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *cutProxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

// dropAll cuts every open connection (no close frame: the browser sees 1006 or a stream error).
func (p *cutProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func (p *cutProxy) handle(client net.Conn) {
	defer client.Close()
	if p.mode.Load() == proxyRefuse || !p.track(client) {
		return
	}
	defer p.untrack(client)
	br := bufio.NewReader(client)
	if p.mode.Load() == proxyBlockWebSocket {
		// Chromium opens a fresh connection for every WebSocket handshake, so its first request
		// line tells.
		_ = client.SetReadDeadline(time.Now().Add(browserWait))
		line, err := br.Peek(8)
		if err != nil || strings.HasPrefix(string(line), "GET /ws ") || strings.HasPrefix(string(line), "GET /ws?") {
			return
		}
		_ = client.SetReadDeadline(time.Time{})
	}
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, br); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done // either side ended: end both
}
