package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestComparison(t *testing.T) {
	parse := func(s string) *savedReport {
		var r savedReport
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	ours := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":20,"connects_per_s":900}},
		{"workload":"saturate","correct":true,"metrics":{"deliveries_per_s":50000,"lost":0}}]}`)
	ref := parse(`{"results":[{"workload":"idle","correct":true,"metrics":{"kb_per_conn":40,"connects_per_s":300}},
		{"workload":"saturate","correct":true,"metrics":{"deliveries_per_s":100000,"lost":0}}]}`)
	c := newComparison(ours, ref, json.RawMessage(`{}`), json.RawMessage(`{}`))
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
	if !strings.Contains(string(md), "| idle | server RSS per connection (KB) | lower | 20 | 40 | 0.50× | yes |") {
		t.Errorf("markdown lacks the idle row:\n%s", md)
	}
}
