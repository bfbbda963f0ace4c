package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// compared is one figure of the comparison: the metric of a workload and which way is better.
type compared struct {
	workload, metric, figure string
	lowerBetter              bool
}

// comparedFigures are the figures `wsbench compare` puts side by side, in order.
var comparedFigures = []compared{
	{"idle", "kb_per_conn", "server RSS per connection (KB)", true},
	{"idle", "kb_per_conn_held", "same, after another settle (KB)", true},
	{"idle", "connects_per_s", "connects/s", false},
	{"idle", "server_cpu_per_connect_us", "server CPU per connect (µs)", true},
	{"fanout", "changes_per_s_achieved", "changes/s made (short of the rate when behind)", false},
	{"fanout", "latency_p50_ms", "latency p50 (ms)", true},
	{"fanout", "latency_p99_ms", "latency p99 (ms)", true},
	{"fanout", "spread_p99_ms", "fan-out spread p99 (ms)", true},
	{"fanout", "delivered_pct", "delivered (%)", false},
	{"fanout", "server_cpu_per_delivery_us", "server CPU per delivery (µs)", true},
	{"fanout-wide", "changes_per_s_achieved", "changes/s made (short of the rate when behind)", false},
	{"fanout-wide", "latency_p50_ms", "latency p50 (ms)", true},
	{"fanout-wide", "latency_p99_ms", "latency p99 (ms)", true},
	{"fanout-wide", "spread_p99_ms", "fan-out spread p99 (ms)", true},
	{"fanout-wide", "delivered_pct", "delivered (%)", false},
	{"fanout-wide", "server_cpu_per_delivery_us", "server CPU per delivery (µs)", true},
	{"saturate", "deliveries_per_s", "deliveries/s", false},
	{"saturate", "changes_per_s", "changes/s", false},
	{"saturate", "server_cpu_per_delivery_us", "server CPU per delivery (µs)", true},
	{"saturate", "lost", "lost", true},
}

// savedReport is a report as -json wrote it.
type savedReport struct {
	At      time.Time      `json:"at"`
	Note    string         `json:"note"`
	Env     map[string]any `json:"env"`
	Results []savedResult  `json:"results"`
}

type savedResult struct {
	Workload string         `json:"workload"`
	Correct  bool           `json:"correct"`
	Params   map[string]any `json:"params"`
	Metrics  map[string]any `json:"metrics"`
}

func (r *savedReport) result(workload string) *savedResult {
	for i := range r.Results {
		if r.Results[i].Workload == workload {
			return &r.Results[i]
		}
	}
	return nil
}

// metric is a workload's numeric figure (nil when the report, or r, has none).
func (r *savedReport) metric(workload, metric string) *float64 {
	if r == nil {
		return nil
	}
	res := r.result(workload)
	if res == nil {
		return nil
	}
	if v, ok := res.Metrics[metric].(float64); ok {
		return &v
	}
	return nil
}

// compareRow is one line of the comparison.
type compareRow struct {
	Workload   string   `json:"workload"`
	Metric     string   `json:"metric"`
	Figure     string   `json:"figure"`
	Better     string   `json:"better"` // "lower" or "higher"
	Ours       *float64 `json:"ours"`
	SocketIO   *float64 `json:"socketio"`
	Ratio      *float64 `json:"ratio"`       // ours / socketio; null when either is missing or socketio is 0
	OursBetter *bool    `json:"ours_better"` // than socketio; null when equal or unknown

	// Against Centrifugo, when its report was given: the same three.
	Centrifugo           *float64 `json:"centrifugo,omitempty"`
	RatioCentrifugo      *float64 `json:"ratio_centrifugo,omitempty"`
	OursBetterCentrifugo *bool    `json:"ours_better_centrifugo,omitempty"`
}

// comparison is what `wsbench compare` writes.
type comparison struct {
	At         time.Time       `json:"at"`
	Note       string          `json:"note,omitempty"`
	Rows       []compareRow    `json:"rows"`
	Ours       json.RawMessage `json:"ours"`                 // the full report of WorkspaceOps
	SocketIO   json.RawMessage `json:"socketio"`             // the full report of the Socket.io reference
	Centrifugo json.RawMessage `json:"centrifugo,omitempty"` // the full report of Centrifugo (-cf)

	ours, ref, cf *savedReport // cf is nil without -cf
}

// runCompare is `wsbench compare`: it reads the -json reports of a WorkspaceOps run, of a
// -target socketio run and (-cf) of a -target centrifugo run and writes their figures side by
// side with the ratios.
func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wsbench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	oursPath := fs.String("ours", "", "the -json report of a run against WorkspaceOps")
	refPath := fs.String("ref", "", "the -json report of a -target socketio run against the reference")
	cfPath := fs.String("cf", "", "the -json report of a -target centrifugo run (optional: a Centrifugo column)")
	jsonOut := fs.String("json", "", "write the comparison as JSON to this file")
	mdOut := fs.String("md", "", "write the comparison as markdown to this file")
	note := fs.String("note", "", "a line for the comparison (machine, conditions)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *oursPath == "" || *refPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wsbench compare: -ours and -ref are required, and nothing else")
		return 2
	}
	c, err := loadComparison(*oursPath, *refPath, *cfPath)
	if err != nil {
		fmt.Fprintf(stderr, "wsbench compare: %v\n", err)
		return 1
	}
	c.Note = *note
	c.writeTable(stdout)
	status := 0
	for path, data := range map[string]func() ([]byte, error){*jsonOut: c.json, *mdOut: c.markdown} {
		if path == "" {
			continue
		}
		b, err := data()
		if err == nil {
			err = writeFileAtomic(path, b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "wsbench compare: %s: %v\n", path, err)
			status = 1
		}
	}
	return status
}

func loadReport(path string) (json.RawMessage, *savedReport, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var r savedReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, &r, nil
}

// loadComparison reads the reports; cfPath may be empty (no Centrifugo column).
func loadComparison(oursPath, refPath, cfPath string) (*comparison, error) {
	oursRaw, ours, err := loadReport(oursPath)
	if err != nil {
		return nil, fmt.Errorf("ours: %w", err)
	}
	refRaw, ref, err := loadReport(refPath)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	var cfRaw json.RawMessage
	var cf *savedReport
	if cfPath != "" {
		if cfRaw, cf, err = loadReport(cfPath); err != nil {
			return nil, fmt.Errorf("centrifugo: %w", err)
		}
	}
	return newComparison(ours, ref, cf, oursRaw, refRaw, cfRaw), nil
}

// against is ours / theirs (nil when either is missing or theirs is 0) and whether ours is
// better (nil when equal or unknown).
func against(ours, theirs *float64, lowerBetter bool) (ratio *float64, oursBetter *bool) {
	if ours == nil || theirs == nil {
		return nil, nil
	}
	o, t := *ours, *theirs
	if t != 0 {
		r := round2(o / t)
		ratio = &r
	}
	if o != t {
		better := (o < t) == lowerBetter
		oursBetter = &better
	}
	return ratio, oursBetter
}

// newComparison puts the figures of ours beside the Socket.io reference's (ref) and, when cf is
// not nil, Centrifugo's.
func newComparison(ours, ref, cf *savedReport, oursRaw, refRaw, cfRaw json.RawMessage) *comparison {
	c := &comparison{At: time.Now().UTC(), Ours: oursRaw, SocketIO: refRaw, ours: ours, ref: ref}
	if cf != nil {
		c.cf, c.Centrifugo = cf, cfRaw
	}
	for _, f := range comparedFigures {
		row := compareRow{Workload: f.workload, Metric: f.metric, Figure: f.figure, Better: "higher",
			Ours: ours.metric(f.workload, f.metric), SocketIO: ref.metric(f.workload, f.metric),
			Centrifugo: c.cf.metric(f.workload, f.metric)}
		if f.lowerBetter {
			row.Better = "lower"
		}
		if row.Ours == nil && row.SocketIO == nil && row.Centrifugo == nil {
			continue
		}
		row.Ratio, row.OursBetter = against(row.Ours, row.SocketIO, f.lowerBetter)
		row.RatioCentrifugo, row.OursBetterCentrifugo = against(row.Ours, row.Centrifugo, f.lowerBetter)
		c.Rows = append(c.Rows, row)
	}
	return c
}

func (c *comparison) json() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	return append(b, '\n'), err
}

func fmtFigure(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprint(*v)
}

func fmtRatio(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f×", *r)
}

func fmtBetter(b *bool) string {
	switch {
	case b == nil:
		return "="
	case *b:
		return "yes"
	}
	return "no"
}

func (c *comparison) writeTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "WORKLOAD\tFIGURE\tBETTER\tWORKSPACEOPS\tSOCKET.IO\tOURS/SOCKET.IO\tOURS BETTER"
	if c.cf != nil {
		head += "\tCENTRIFUGO\tOURS/CENTRIFUGO\tOURS BETTER"
	}
	fmt.Fprintln(tw, head)
	for _, r := range c.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Workload, r.Figure, r.Better, fmtFigure(r.Ours),
			fmtFigure(r.SocketIO), fmtRatio(r.Ratio), fmtBetter(r.OursBetter))
		if c.cf != nil {
			fmt.Fprintf(tw, "\t%s\t%s\t%s", fmtFigure(r.Centrifugo), fmtRatio(r.RatioCentrifugo), fmtBetter(r.OursBetterCentrifugo))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func (c *comparison) markdown() ([]byte, error) {
	var b strings.Builder
	if c.cf != nil {
		b.WriteString("# wsbench: WorkspaceOps against the Socket.io reference and Centrifugo\n\n")
	} else {
		b.WriteString("# wsbench: WorkspaceOps against the Socket.io reference\n\n")
	}
	fmt.Fprintf(&b, "Compared at %s by `make bench-compare` (`bench/wsbench/compare.sh`)", c.At.Format(time.RFC3339))
	if c.Note != "" {
		fmt.Fprintf(&b, " — %s", c.Note)
	}
	b.WriteString(".\n\nThe same `bench/wsbench` workloads, timing and statistics ran against WorkspaceOps " +
		"(protocol v1) and against the Socket.io 4.8 reference of `bench/wsbench/reference` (`-target socketio`: " +
		"Socket.IO v5 over Engine.IO v4's websocket transport)")
	if c.cf != nil {
		b.WriteString(" and Centrifugo v6 (`-target centrifugo`: its JSON protocol over `/connection/websocket`, " +
			"memory broker, a `workspace` namespace without history)")
	}
	b.WriteString(", each server alone on CPU 0 and wsbench on CPU 1. Ratio = WorkspaceOps / Socket.io")
	if c.cf != nil {
		b.WriteString(", and WorkspaceOps / Centrifugo in the last three columns")
	}
	b.WriteString(".\n\n")
	if c.cf != nil {
		b.WriteString("| workload | figure | better | WorkspaceOps | Socket.io | ratio | ours better | Centrifugo | ratio | ours better |\n" +
			"|---|---|---|---|---|---|---|---|---|---|\n")
	} else {
		b.WriteString("| workload | figure | better | WorkspaceOps | Socket.io | ratio | ours better |\n|---|---|---|---|---|---|---|\n")
	}
	for _, r := range c.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |", r.Workload, cell(r.Figure), r.Better,
			fmtFigure(r.Ours), fmtFigure(r.SocketIO), fmtRatio(r.Ratio), fmtBetter(r.OursBetter))
		if c.cf != nil {
			fmt.Fprintf(&b, " %s | %s | %s |", fmtFigure(r.Centrifugo), fmtRatio(r.RatioCentrifugo), fmtBetter(r.OursBetterCentrifugo))
		}
		b.WriteString("\n")
	}
	if c.cf != nil {
		b.WriteString("\nWhat differs between the servers:\n\n")
	} else {
		b.WriteString("\nWhat differs between the two sides:\n\n")
	}
	b.WriteString("- A change on WorkspaceOps is a REST status change (work item update and audit append on the embedded " +
		"store), so its fanout latency and CPU per delivery include that write, and its saturate rate is bounded " +
		"by the store; on the reference it is a POST /broadcast, an `io.to(room).emit` with no store: broadcast only. " +
		"When the writes fall behind the rate asked, fanout skips changes (the changes/s made row) and its latency " +
		"includes the wait. The fan-out spread (first to last arrival of one change) is the closest like-for-like latency.\n" +
		"- WorkspaceOps' connections authenticate with an auth frame and join with a membership check on the " +
		"store; the reference verifies the JWT in the handshake and joins any room.\n" +
		"- Socket.io buffers without bound for a slow client; WorkspaceOps evicts it (counted, never silently).\n")
	if c.cf != nil {
		b.WriteString("- On Centrifugo a change is a POST /api/publish to `workspace:<id>` (memory broker, no history, no store): " +
			"broadcast only, like the reference. It keeps no seq without history, so wsbench numbers the changes (the data is a " +
			"protocol v1 event frame) and makes one workspace's publishes one at a time so they arrive in order; the Socket.io " +
			"reference, one Node thread, is as serial. Its connections send a connect command with an HS256 JWT and subscribe " +
			"to the channel with no membership check (the namespace allows any connected user); it disconnects a client " +
			"whose queue passes 1 MB (counted as an eviction).\n")
	}
	type run struct {
		name string
		r    *savedReport
	}
	sides := []run{{"WorkspaceOps", c.ours}, {"Socket.io reference", c.ref}}
	if c.cf != nil {
		sides = append(sides, run{"Centrifugo", c.cf})
	}
	for _, side := range sides {
		fmt.Fprintf(&b, "\n## %s\n\nRun at %s", side.name, side.r.At.Format(time.RFC3339))
		if side.r.Note != "" {
			fmt.Fprintf(&b, " — %s", side.r.Note)
		}
		b.WriteString(".\n\n")
		for _, res := range side.r.Results {
			ok := "correct"
			if !res.Correct {
				ok = "**not correct** (failed connects, losses or evictions: see compare.json)"
			}
			params, err := json.Marshal(res.Params)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "- %s: `%s`, %s\n", res.Workload, params, ok)
		}
		for _, k := range []string{"cpu", "machine_cpus", "server_cpus_allowed", "loadgen_cpus_allowed"} {
			if v, ok := side.r.Env[k]; ok {
				fmt.Fprintf(&b, "- %s: %v\n", k, v)
			}
		}
	}
	if c.cf != nil {
		b.WriteString("\nEvery figure of the three runs is in `compare.json` (`ours`, `socketio`, `centrifugo`).\n")
	} else {
		b.WriteString("\nEvery figure of both runs is in `compare.json` (`ours`, `socketio`).\n")
	}
	return []byte(b.String()), nil
}
