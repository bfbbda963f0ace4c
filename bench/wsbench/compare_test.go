package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func parseReport(t *testing.T, s string) *savedReport {
	t.Helper()
	var r savedReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestComparison(t *testing.T) {
	parse := func(s string) *savedReport { return parseReport(t, s) }
	ours := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":20,"connects_per_s":900}},
		{"workload":"saturate","correct":true,"metrics":{"deliveries_per_s":50000,"lost":0}}]}`)
	ref := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":40,"connects_per_s":300}},
		{"workload":"saturate","correct":true,"metrics":{"deliveries_per_s":100000,"lost":0}}]}`)
	c := newComparison(ours, ref, nil, json.RawMessage(`{}`), json.RawMessage(`{}`), nil)
	rows := map[string]compareRow{}
	for _, r := range c.Rows {
		rows[r.Workload+"/"+r.Metric] = r
	}
	if len(rows) != 4 {
		t.Fatalf("rows %v: want the 4 figures both reports have (fanout is absent)", c.Rows)
	}
	for key, want := range map[string]struct {
		ratio  float64
		better bool
	}{"idle/kb_per_conn": {0.5, true}, "idle/connects_per_s": {3, true}, "saturate/deliveries_per_s": {0.5, false}} {
		r := rows[key]
		if r.Ratio == nil || *r.Ratio != want.ratio || r.OursBetter == nil || *r.OursBetter != want.better {
			t.Errorf("%s: %+v, want ratio %g, ours better %v", key, r, want.ratio, want.better)
		}
	}
	if r := rows["saturate/lost"]; r.Ratio != nil || r.OursBetter != nil {
		t.Errorf("0 lost on both sides: %+v, want no ratio and no winner", r)
	}
	md, err := c.markdown()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| idle | server RSS per connection (KB) | lower | 20 | 40 | 0.50× | yes |\n") ||
		strings.Contains(string(md), "Centrifugo") {
		t.Errorf("markdown lacks the idle row or has a Centrifugo column without its report:\n%s", md)
	}
	if b, err := c.json(); err != nil || strings.Contains(string(b), "centrifugo") {
		t.Errorf("compare.json without -cf: %v\n%s", err, b)
	}
}

// TestComparisonCentrifugo: with Centrifugo's report, every row gets its figure and the ratio
// against it; a figure only Centrifugo has still makes a row.
func TestComparisonCentrifugo(t *testing.T) {
	parse := func(s string) *savedReport { return parseReport(t, s) }
	ours := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":20,"connects_per_s":900}}]}`)
	ref := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":40,"connects_per_s":300}}]}`)
	cf := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":10,"connects_per_s":900}},
		{"workload":"saturate","correct":true,"metrics":{"deliveries_per_s":80000}}]}`)
	c := newComparison(ours, ref, cf, json.RawMessage(`{"o":1}`), json.RawMessage(`{"s":1}`), json.RawMessage(`{"c":1}`))
	rows := map[string]compareRow{}
	for _, r := range c.Rows {
		rows[r.Workload+"/"+r.Metric] = r
	}
	if len(rows) != 3 {
		t.Fatalf("rows %v: want idle's two figures and saturate's deliveries", c.Rows)
	}
	if r := rows["idle/kb_per_conn"]; r.RatioCentrifugo == nil || *r.RatioCentrifugo != 2 || r.OursBetterCentrifugo == nil ||
		*r.OursBetterCentrifugo || r.Ratio == nil || *r.Ratio != 0.5 {
		t.Errorf("idle/kb_per_conn: %+v, want 0.5× Socket.io (better) and 2× Centrifugo (worse)", r)
	}
	if r := rows["idle/connects_per_s"]; r.RatioCentrifugo == nil || *r.RatioCentrifugo != 1 || r.OursBetterCentrifugo != nil {
		t.Errorf("idle/connects_per_s: %+v, want 1× Centrifugo and no winner", r)
	}
	if r := rows["saturate/deliveries_per_s"]; r.Ours != nil || r.Centrifugo == nil || r.RatioCentrifugo != nil {
		t.Errorf("saturate/deliveries_per_s: %+v, want Centrifugo's figure alone", r)
	}
	md, err := c.markdown()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| workload | figure | better | WorkspaceOps | Socket.io | ratio | ours better | Centrifugo | ratio | ours better |\n",
		"| idle | server RSS per connection (KB) | lower | 20 | 40 | 0.50× | yes | 10 | 2.00× | no |\n",
		"| saturate | deliveries/s | higher | — | — | — | = | 80000 | — | = |\n",
		"\n## Centrifugo\n",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	b, err := c.json()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Centrifugo map[string]int `json:"centrifugo"`
		Rows       []compareRow   `json:"rows"`
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Centrifugo["c"] != 1 || back.Rows[0].RatioCentrifugo == nil {
		t.Errorf("compare.json: %v\n%s", err, b)
	}
	var sb strings.Builder
	c.writeTable(&sb)
	if !strings.Contains(sb.String(), "OURS/CENTRIFUGO") {
		t.Errorf("table:\n%s", sb.String())
	}
}
