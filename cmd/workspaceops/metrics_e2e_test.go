package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads GET /metrics of the metrics listener at addr.
type scrape struct {
	raw  []byte
	fams map[string]*dto.MetricFamily
}

func scrapeMetrics(t *testing.T, addr string) scrape {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape answered %d (%v)", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the scrape does not parse: %v\n%s", err, raw)
	}
	return scrape{raw: raw, fams: fams}
}

// value sums the series of name whose labels include want: a counter's or gauge's value, a
// histogram's count. A family that is absent counts 0.
func (s scrape) value(name string, want map[string]string) float64 {
	f := s.fams[name]
	if f == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// waitMetric scrapes until cond holds of the scrape, for at most rtWait: counts are updated just
// after the frames are written, so a client may see a frame an instant before it is counted.
func waitMetric(t *testing.T, addr string, what string, cond func(scrape) bool) scrape {
	t.Helper()
	deadline := time.Now().Add(rtWait)
	for {
		s := scrapeMetrics(t, addr)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen in the metrics in time; last scrape:\n%s", what, grep(s.raw, "workspaceops_"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func grep(raw []byte, prefix string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.HasPrefix(line, prefix) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// promtool runs Debian's promtool with args and stdin; it skips the test only when promtool is
// missing outside CI (.ci/run installs it).
func promtool(t *testing.T, stdin []byte, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is missing (.ci/run installs Debian's prometheus package)")
		}
		t.Skip("promtool is missing: apt-get install prometheus")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestMetricsFollowTraffic: after real REST, WebSocket and SSE traffic the metrics listener's
// numbers move as they should — a status change is one delivery per subscriber on each
// transport, requests are counted by route template, every store call is timed — and the
// scrape passes promtool's checks. The API port does not serve the metrics.
func TestMetricsFollowTraffic(t *testing.T) {
	maddr := freeAddr(t)
	s := startServer(t, map[string]string{"WSO_METRICS_ADDR": maddr, "WSO_OVERVIEW_COALESCE": "1h"})
	s.call("GET", "/metrics", "", nil).want(t, 404, "route_not_found")
	wid, owner, member, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, owner.token, map[string]string{"title": "Counted"}).want(t, 201).str("id")

	ws1, ws2 := s.live(t, member), s.live(t, viewer)
	joined := ws1.join(wid, nil)
	ws2.join(wid, nil)
	_, sse := s.openSSE(t, s.ticket(t, owner), wid, "")
	if m := sse.must(); m.frame["type"] != "joined" {
		t.Fatalf("SSE opened with %v", m.frame)
	}
	before := waitMetric(t, maddr, "2 WebSockets and 1 SSE stream in 1 room", func(m scrape) bool {
		return m.value("workspaceops_realtime_connections", map[string]string{"transport": "websocket"}) == 2 &&
			m.value("workspaceops_realtime_connections", map[string]string{"transport": "sse"}) == 1 &&
			m.value("workspaceops_realtime_rooms", nil) == 1
	})

	s.call("PATCH", base+"/"+id+"/status", member.token, map[string]string{"status": "ACTIVE"}).want(t, 200)
	ws1.event("work-item:status-changed")
	ws2.event("work-item:status-changed")
	if m := sse.must(); m.frame["event"] != "work-item:status-changed" {
		t.Fatalf("SSE got %v", m.frame)
	}
	deliveries := func(m scrape, transport string) float64 {
		return m.value("workspaceops_realtime_deliveries_total", map[string]string{"transport": transport})
	}
	after := waitMetric(t, maddr, "the status change delivered to three subscribers", func(m scrape) bool {
		return deliveries(m, "websocket")-deliveries(before, "websocket") >= 2 && deliveries(m, "sse")-deliveries(before, "sse") >= 1
	})
	if ws, ev := deliveries(after, "websocket")-deliveries(before, "websocket"), deliveries(after, "sse")-deliveries(before, "sse"); ws != 2 || ev != 1 {
		t.Fatalf("one status change counted %v WebSocket and %v SSE deliveries, want 2 and 1", ws, ev)
	}
	if lag := after.value("workspaceops_realtime_delivery_lag_seconds", nil) - before.value("workspaceops_realtime_delivery_lag_seconds", nil); lag != 3 {
		t.Fatalf("delivery lag observed %v times for 3 live deliveries", lag)
	}

	// A resume from the room's memory.
	resumed := s.live(t, owner)
	since := int64(seqOf(joined))
	resumed.join(wid, &since)
	resumed.event("work-item:status-changed")

	s.call("GET", "/api/v1/no/such/route", owner.token, nil).want(t, 404)
	m := waitMetric(t, maddr, "a resume from memory", func(m scrape) bool {
		return m.value("workspaceops_realtime_resumes_total", map[string]string{"result": "memory"}) == 1
	})
	route := map[string]string{"route": "/api/v1/workspaces/:wid/work-items/:id/status", "method": "PATCH"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"workspaceops_http_requests_total", map[string]string{"route": route["route"], "method": "PATCH", "code": "200"}, 1},
		{"workspaceops_http_request_duration_seconds", route, 1},
		{"workspaceops_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, 1},
		{"workspaceops_http_requests_total", map[string]string{"route": "/ws", "method": "GET"}, 3},
		{"workspaceops_store_operation_duration_seconds", map[string]string{"store": storeLabel(), "op": "workItems.update"}, 1},
		{"workspaceops_store_operation_duration_seconds", map[string]string{"store": storeLabel(), "op": "auditLog.append"}, 1},
		{"workspaceops_store_operation_duration_seconds", map[string]string{"store": storeLabel(), "op": "redemptions.redeem"}, 1},
		{"workspaceops_bus_up", nil, 1},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	} {
		if got := m.value(c.name, c.labels); got < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, got, c.min)
		}
	}
	if got := m.value("workspaceops_http_request_duration_seconds", map[string]string{"route": "/ws"}); got != 0 {
		t.Errorf("the WebSocket route is timed (%v): its duration is the connection's", got)
	}
	if f := m.fams["workspaceops_audit_append_failures_total"]; f == nil || m.value(f.GetName(), nil) != 0 {
		t.Errorf("audit append failures: %v", f)
	}
	for _, line := range strings.Split(grep(m.raw, "workspaceops_http_requests_total{"), "\n") {
		if strings.Contains(line, wid) || strings.Contains(line, id) {
			t.Errorf("a raw id in a label: %s", line)
		}
	}
	promtool(t, m.raw, "check", "metrics")
}

// storeLabel is the store label of the test server's store.
func storeLabel() string {
	if os.Getenv("WSO_TEST_STORE") == "mongo" {
		return "mongodb"
	}
	return "sqlite"
}

// TestMetricsCountSlowConsumerClose: a client that stops reading is closed with 4008, and the
// close and the full queue are counted.
func TestMetricsCountSlowConsumerClose(t *testing.T) {
	maddr := freeAddr(t)
	s := startServer(t, map[string]string{"WSO_METRICS_ADDR": maddr, "WSO_OVERVIEW_COALESCE": "1h",
		"WSO_WS_QUEUE_SIZE": "4", "WSO_WS_SEND_BUFFER": "4096"})
	wid, owner, _, viewer := s.team(t)
	base := "/api/v1/workspaces/" + wid + "/work-items"
	id := s.call("POST", base, owner.token, map[string]string{"title": "Busy"}).want(t, 201).str("id")
	slow := s.slowConsumer(t, viewer, wid)

	closes := func(m scrape) float64 {
		return m.value("workspaceops_realtime_closes_total", map[string]string{"code": "4008"})
	}
	// The slow client reads nothing: changes pile up until the server closes it.
	for i := 0; closes(scrapeMetrics(t, maddr)) == 0; i++ {
		if i == 2000 {
			t.Fatal("no 4008 close counted after 2,000 changes to a client that reads nothing")
		}
		s.call("PATCH", base+"/"+id+"/status", owner.token, map[string]string{"status": []string{"ACTIVE", "DRAFT"}[i%2]})
	}
	m := scrapeMetrics(t, maddr)
	if closes(m) != 1 || m.value("workspaceops_realtime_queue_full_total", nil) != 1 {
		t.Fatalf("closes with 4008 %v, queue full %v; want 1 and 1", closes(m), m.value("workspaceops_realtime_queue_full_total", nil))
	}
	for {
		if _, err := slow.read(); err != nil {
			if code := websocket.CloseStatus(err); code != 4008 {
				t.Fatalf("the slow client was closed with %d", code)
			}
			break
		}
	}
}

// TestMetricsDefaultPortTaken: several instances on one host, none told a metrics address, all
// start (the first takes the default port, the others run without metrics and say so); an
// address set explicitly must be free, or the server refuses to start.
func TestMetricsDefaultPortTaken(t *testing.T) {
	const defaultAddr = "127.0.0.1:9464"
	if ln, err := net.Listen("tcp", defaultAddr); err == nil { // else something else holds it: taken all the same
		t.Cleanup(func() { ln.Close() })
	}
	s := startServer(t, map[string]string{"WSO_METRICS_ADDR": ""}) // "" is unset: the default
	s.call("GET", "/healthz", "", nil).want(t, 200)

	env := withStore(t, map[string]string{"WSO_ADDR": freeAddr(t), "JWT_SECRET": testSecret})
	env["WSO_METRICS_ADDR"] = defaultAddr
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if code := run(ctx, nil, func(k string) string { return env[k] }, &logs); code == 0 || !strings.Contains(logs.String(), "metrics listener") {
		t.Fatalf("an explicit metrics address already taken: exit %d, logs:\n%s", code, logs.String())
	}
}
