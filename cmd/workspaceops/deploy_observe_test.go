package main

import (
	"encoding/json"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/workspaceops/workspaceops/adapters/telemetry"
)

// TestClusterObservabilityMatchesTheService keeps deploy/cluster's monitoring honest: Prometheus
// scrapes exactly the instances, on the port their metrics listener has, and NATS through its
// exporter; its config and alert rules pass promtool; the provisioned dashboard has the panels
// an operator needs; and every workspaceops_ series the dashboard or the alerts query is one
// the service exports.
func TestClusterObservabilityMatchesTheService(t *testing.T) {
	compose := readCompose(t)
	var instances []string
	for name, svc := range compose.Services {
		if !svc.instance() {
			continue
		}
		host, port, err := net.SplitHostPort(svc.Environment["WSO_METRICS_ADDR"])
		if err != nil || port != "9464" || host == "127.0.0.1" || host == "localhost" {
			t.Errorf("%s: WSO_METRICS_ADDR %q: Prometheus, in another container, scrapes port 9464", name, svc.Environment["WSO_METRICS_ADDR"])
		}
		instances = append(instances, name+":9464")
	}

	raw, err := os.ReadFile("../../deploy/cluster/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			Job    string `yaml:"job_name"`
			Static []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &prom); err != nil {
		t.Fatal(err)
	}
	targets := map[string][]string{}
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.Static {
			targets[sc.Job] = append(targets[sc.Job], st.Targets...)
		}
	}
	slices.Sort(instances)
	slices.Sort(targets["workspaceops"])
	if !slices.Equal(instances, targets["workspaceops"]) {
		t.Errorf("Prometheus scrapes %v, the compose file runs %v", targets["workspaceops"], instances)
	}
	if n := targets["nats"]; len(n) != 1 || compose.Services[strings.Split(n[0], ":")[0]].Image == "" {
		t.Errorf("the nats job scrapes %v: want the exporter service of the compose file", n)
	}
	if !slices.Contains(prom.RuleFiles, "alerts.yml") {
		t.Errorf("rule files %v: want alerts.yml", prom.RuleFiles)
	}
	lookTool(t, "promtool")
	promtool(t, nil, "check", "config", "../../deploy/cluster/prometheus/prometheus.yml")
	promtool(t, nil, "check", "rules", "../../deploy/cluster/prometheus/alerts.yml")

	raw, err = os.ReadFile("../../deploy/cluster/grafana/dashboards/workspaceops.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	queries := []string{}
	var titles []string
	for _, p := range dash.Panels {
		titles = append(titles, p.Title)
		for _, tg := range p.Targets {
			queries = append(queries, tg.Expr)
		}
	}
	for _, want := range []string{"REST requests", "REST errors", "REST latency", "Store latency", "Realtime connections",
		"Deliveries/s", "Delivery lag p99", "Closes/s by code", "Bus (NATS)"} {
		if !slices.ContainsFunc(titles, func(t string) bool { return strings.HasPrefix(t, want) }) {
			t.Errorf("the dashboard has no %q panel: %v", want, titles)
		}
	}
	alerts, err := os.ReadFile("../../deploy/cluster/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	queries = append(queries, string(alerts))

	exported := exportedNames(t)
	series := regexp.MustCompile(`workspaceops_[a-z_]+`)
	for _, q := range queries {
		for _, name := range series.FindAllString(q, -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
			if !exported[name] && !exported[base] {
				t.Errorf("%s is queried but the service exports no such series", name)
			}
		}
	}
}

// exportedNames are the metric names the service exports: those defined in adapters/telemetry
// (present even before their first observation) and those a running server registers.
func exportedNames(t *testing.T) map[string]bool {
	names := map[string]bool{}
	descs := make(chan *prometheus.Desc, 256)
	go func() { telemetry.New().Registry.Describe(descs); close(descs) }()
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range descs {
		if m := fq.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	maddr := freeAddr(t)
	startServer(t, map[string]string{"WSO_METRICS_ADDR": maddr})
	for name := range scrapeMetrics(t, maddr).fams {
		names[name] = true
	}
	return names
}
