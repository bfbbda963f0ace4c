package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// lookTool finds a binary of Debian's prometheus package; without it the test is skipped, but
// never in CI (.ci/run installs the package).
func lookTool(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing (.ci/run installs Debian's prometheus package)", name)
		}
		t.Skipf("%s is missing: apt-get install prometheus", name)
	}
	return bin
}

// TestRealPrometheusScrapesTheServer starts Debian's prometheus on loopback with a scrape
// config for the server's metrics listener (every second), waits for scrapes, and reads series
// back through Prometheus's HTTP API: the target is up and a request made to the server is
// there under its route template.
func TestRealPrometheusScrapesTheServer(t *testing.T) {
	bin := lookTool(t, "prometheus")
	maddr := freeAddr(t)
	s := startServer(t, map[string]string{"WSO_METRICS_ADDR": maddr})
	s.call("GET", "/healthz", "", nil).want(t, 200)

	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: workspaceops
    static_configs:
      - targets: [%q]
`, maddr), 0o600); err != nil {
		t.Fatal(err)
	}
	web := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+web, "--log.level=warn")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})

	query := func(q string) []any {
		resp, err := http.Get("http://" + web + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil // not up yet
		}
		defer resp.Body.Close()
		var body struct {
			Status string
			Data   struct{ Result []any }
		}
		if json.NewDecoder(resp.Body).Decode(&body) != nil || body.Status != "success" {
			return nil
		}
		return body.Data.Result
	}
	deadline := time.Now().Add(90 * time.Second)
	for _, q := range []string{
		`up{job="workspaceops"} == 1`,
		`workspaceops_http_requests_total{job="workspaceops",route="/healthz",method="GET",code="200"} >= 1`,
		`workspaceops_bus_up == 1`,
	} {
		for len(query(q)) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("prometheus has no result for %s; its log:\n%s", q, logs.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}
