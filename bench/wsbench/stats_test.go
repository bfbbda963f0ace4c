package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(xs, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	one := []time.Duration{7}
	if percentile(one, 1) != 7 || percentile(one, 99) != 7 {
		t.Error("a single value is every percentile")
	}
	// Nearest rank on 10 values: p99 is the 10th, p90 the 9th, p50 the 5th.
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if percentile(ten, 99) != 10 || percentile(ten, 90) != 9 || percentile(ten, 50) != 5 {
		t.Errorf("p50/p90/p99 of 1..10 = %v/%v/%v", percentile(ten, 50), percentile(ten, 90), percentile(ten, 99))
	}
}

func TestSummarizeSortsAndAverages(t *testing.T) {
	l := summarize([]time.Duration{30, 10, 20, 40})
	if l.N != 4 || l.P50 != 20 || l.Max != 40 || l.Mean != 25 || l.P99 != 40 {
		t.Errorf("summary = %+v", l)
	}
	if (summarize(nil) != latency{}) {
		t.Error("empty summary is zero")
	}
}

func TestReportMath(t *testing.T) {
	if got := kbPerConn(100_000, 120_000, 2000); got != 10 {
		t.Errorf("kbPerConn = %v, want 10", got)
	}
	if got := kbPerConn(1, 2, 0); got != 0 {
		t.Errorf("kbPerConn with no connections = %v", got)
	}
	if got := percent(1999, 2000); got != 99.95 {
		t.Errorf("percent = %v", got)
	}
	if got := percent(1_999_999, 2_000_000); got >= 100 {
		t.Errorf("percent rounds a loss up to %v", got)
	}
	if percent(0, 0) != 100 {
		t.Error("nothing expected, nothing lost")
	}
	if got := perSecond(500, 2*time.Second); got != 250 {
		t.Errorf("perSecond = %v", got)
	}
	if perSecond(5, 0) != 0 {
		t.Error("perSecond over no time")
	}
	if got := usPer(30*time.Millisecond, 2000); got != 15 {
		t.Errorf("usPer = %v", got)
	}
	if got := ms(1234567 * time.Nanosecond); got != 1.23 {
		t.Errorf("ms = %v", got)
	}
}

func TestSeqSetCountsMissingAndDuplicates(t *testing.T) {
	s := seqSet{base: 10}
	for _, q := range []int64{11, 12, 14, 80, 200} {
		if !s.add(q) {
			t.Errorf("add(%d) is new", q)
		}
	}
	if s.add(12) || s.add(10) || s.add(3) {
		t.Error("a seen seq or one at/below base is not new")
	}
	// (10, 15]: 13 and 15 missing.
	if got := s.missing(15); got != 2 {
		t.Errorf("missing(15) = %d, want 2", got)
	}
	// (10, 200]: 190 seqs, 5 received.
	if got := s.missing(200); got != 185 {
		t.Errorf("missing(200) = %d, want 185", got)
	}
	if got := s.missing(10); got != 0 {
		t.Errorf("missing(base) = %d", got)
	}
	full := seqSet{base: 0}
	for q := int64(1); q <= 128; q++ {
		full.add(q)
	}
	if full.missing(128) != 0 || full.missing(130) != 2 {
		t.Errorf("full set: missing(128)=%d missing(130)=%d", full.missing(128), full.missing(130))
	}
}

func TestParseFrame(t *testing.T) {
	ev := `{"type":"event","workspaceId":"aaaaaaaaaaaaaaaaaaaaaaaa","seq":1234,"event":"work-item:status-changed","data":{"action":"WORK_ITEM_STATUS_CHANGED","actorId":"x","from":"DRAFT","targetId":"bbbbbbbbbbbbbbbbbbbbbbbb","to":"ACTIVE"}}`
	f := parseFrame([]byte(ev))
	if f.typ != "event" || f.seq != 1234 || f.event != "work-item:status-changed" || f.targetID != "bbbbbbbbbbbbbbbbbbbbbbbb" {
		t.Errorf("event = %+v", f)
	}
	if f := parseFrame([]byte(`{"type":"joined","ref":"j","workspaceId":"a","seq":7}`)); f.typ != "joined" || f.seq != 7 {
		t.Errorf("joined = %+v", f)
	}
	if f := parseFrame([]byte(`{"type":"close","code":4008,"reason":"slow"}`)); f.typ != "close" || f.code != 4008 {
		t.Errorf("close = %+v", f)
	}
	if f := parseFrame([]byte(`not json`)); f.typ != "?" {
		t.Errorf("garbage = %+v", f)
	}
}

func TestParseStatCPU(t *testing.T) {
	line := "1234 (work space) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 10 0 123 456 789"
	got, err := parseStatCPU(line)
	if err != nil || got != 300*clockTick {
		t.Errorf("cpu = %v, %v; want %v", got, err, 300*clockTick)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("garbage parses")
	}
}

func TestFieldsKeepOrder(t *testing.T) {
	var f fields
	f.add("z", 1)
	f.add("a", "x")
	b, err := f.MarshalJSON()
	if err != nil || string(b) != `{"z":1,"a":"x"}` {
		t.Errorf("json = %s, %v", b, err)
	}
	r := &report{Results: []*result{{Workload: "fanout", Params: f, Headline: "p99 | 3 ms", Pass: false}}}
	md := r.markdown()
	if !strings.Contains(md, "| fanout | z=1 a=x | p99 \\| 3 ms |") || !strings.Contains(md, "**no**") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:4000", "http://localhost:1", "http://[::1]:4000/"} {
		if _, err := loopbackURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:4000", "http://example.com", "ftp://127.0.0.1", "127.0.0.1:4000"} {
		if _, err := loopbackURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestFlagsAreBounded(t *testing.T) {
	var sb strings.Builder
	if _, err := parseFlags([]string{"-idle-conns", "50000"}, &sb); err == nil {
		t.Error("50,000 connections accepted")
	}
	if _, err := parseFlags([]string{"-workloads", "idle,nope"}, &sb); err == nil {
		t.Error("unknown workload accepted")
	}
	c, err := parseFlags([]string{"-workloads", "fanout-sse,rest", "-url", "http://127.0.0.1:1,http://127.0.0.1:2"}, &sb)
	if err != nil || len(c.urls) != 2 || c.workloads[0] != "fanout-sse" {
		t.Errorf("config = %+v, %v", c, err)
	}
}
