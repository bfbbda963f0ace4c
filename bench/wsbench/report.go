package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// writeTable prints the results as a readable table: one row per workload with its headline.
func writeTable(w io.Writer, results []*result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tSETUP\tMEASURED\tCORRECT")
	for _, r := range results {
		ok := "yes"
		if !r.Pass {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Workload, compact(r.Params), r.Headline, ok)
	}
	tw.Flush()
	for _, r := range results {
		if len(r.Rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", r.Workload)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for i, row := range r.Rows {
			if i == 0 {
				for _, p := range row {
					fmt.Fprintf(tw, "%s\t", strings.ToUpper(p.K))
				}
				fmt.Fprintln(tw)
			}
			for _, p := range row {
				fmt.Fprintf(tw, "%v\t", p.V)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
}

// rowsMarkdown renders rows (each with the first row's keys) as a markdown table.
func rowsMarkdown(b *strings.Builder, rows []fields) {
	if len(rows) == 0 {
		return
	}
	b.WriteString("\n|")
	for _, p := range rows[0] {
		fmt.Fprintf(b, " %s |", cell(p.K))
	}
	b.WriteString("\n|")
	for range rows[0] {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range rows {
		b.WriteString("|")
		for _, p := range row {
			fmt.Fprintf(b, " %s |", cell(fmt.Sprint(p.V)))
		}
		b.WriteString("\n")
	}
}

// compact renders fields as k=v pairs.
func compact(f fields) string {
	parts := make([]string, 0, len(f))
	for _, p := range f {
		parts = append(parts, fmt.Sprintf("%s=%v", p.K, p.V))
	}
	return strings.Join(parts, " ")
}

// report is what -json and -md write.
type report struct {
	At      time.Time
	Note    string
	Env     fields
	Results []*result
}

func newReport(cfg *config, b *bench, results []*result) *report {
	env := fields{}
	env.add("cpu", cpuModel())
	env.add("machine_cpus", machineCPUs())
	env.add("loadgen", goInfo())
	env.add("loadgen_cpus_allowed", procStatusField(os.Getpid(), "Cpus_allowed_list"))
	urls := make([]string, len(cfg.urls))
	for i, u := range cfg.urls {
		urls[i] = u.String()
	}
	env.add("servers", urls)
	env.add("server_pids", cfg.pids)
	if len(cfg.pids) > 0 {
		env.add("server_cpus_allowed", procStatusField(cfg.pids[0], "Cpus_allowed_list"))
		env.add("server_open_files_limit", openFilesLimit(cfg.pids[0]))
	}
	env.add("loadgen_open_files_limit", b.noFile)
	if b.dataset != "" {
		env.add("dataset", "seeded before the workloads: "+b.dataset)
	}
	return &report{At: time.Now().UTC(), Note: cfg.note, Env: env, Results: results}
}

func (r *report) json() []byte {
	b, _ := json.MarshalIndent(struct {
		At      time.Time `json:"at"`
		Note    string    `json:"note,omitempty"`
		Env     fields    `json:"env"`
		Results []*result `json:"results"`
	}{r.At, r.Note, r.Env, r.Results}, "", "  ")
	return append(b, '\n')
}

// markdown is the report as a markdown document: the summary table beside issue 6's targets,
// then every figure of every workload.
func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString("# wsbench report\n\n")
	fmt.Fprintf(&b, "Run at %s by `bench/wsbench`", r.At.Format(time.RFC3339))
	if r.Note != "" {
		fmt.Fprintf(&b, " — %s", r.Note)
	}
	b.WriteString(".\n\n")
	for _, p := range r.Env {
		fmt.Fprintf(&b, "- %s: %v\n", p.K, p.V)
	}
	b.WriteString("\n| workload | setup | measured | target (issue 6; Socket.io reference on this machine) | correct (100% delivered, 0 lost) |\n|---|---|---|---|---|\n")
	for _, res := range r.Results {
		ok := "yes"
		if !res.Pass {
			ok = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", res.Workload, cell(compact(res.Params)), cell(res.Headline), cell(res.Target), ok)
	}
	for _, res := range r.Results {
		fmt.Fprintf(&b, "\n## %s\n\n| figure | value |\n|---|---|\n", res.Workload)
		for _, p := range res.Params {
			fmt.Fprintf(&b, "| %s | %v |\n", p.K, cell(fmt.Sprint(p.V)))
		}
		for _, p := range res.Metrics {
			fmt.Fprintf(&b, "| %s | %v |\n", p.K, cell(fmt.Sprint(p.V)))
		}
		rowsMarkdown(&b, res.Rows)
		for _, n := range res.Notes {
			fmt.Fprintf(&b, "\n- %s", n)
		}
		if len(res.Notes) > 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
