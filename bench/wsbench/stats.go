package main

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted values: the smallest
// value with at least p% of the values at or below it. It is 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(1, min(n, rank))
	return sorted[rank-1]
}

// latency summarises a set of durations.
type latency struct {
	N                  int
	P50, P90, P99, Max time.Duration
	Mean               time.Duration
}

// summarize sorts xs in place and summarises it.
func summarize(xs []time.Duration) latency {
	if len(xs) == 0 {
		return latency{}
	}
	slices.Sort(xs)
	var sum time.Duration
	for _, x := range xs {
		sum += x
	}
	return latency{N: len(xs), P50: percentile(xs, 50), P90: percentile(xs, 90), P99: percentile(xs, 99),
		Max: xs[len(xs)-1], Mean: sum / time.Duration(len(xs))}
}

// fields adds the summary to f as name_p50_ms etc.
func (l latency) fields(f *fields, name string) {
	f.add(name+"_p50_ms", ms(l.P50))
	f.add(name+"_p90_ms", ms(l.P90))
	f.add(name+"_p99_ms", ms(l.P99))
	f.add(name+"_max_ms", ms(l.Max))
}

// ms is d in milliseconds, rounded to 0.01.
func ms(d time.Duration) float64 { return round2(float64(d) / float64(time.Millisecond)) }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// perSecond is n events over d.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round2(float64(n) / d.Seconds())
}

// percent is part of whole in percent (100 when whole is 0: nothing was expected, nothing lost).
func percent(part, whole int64) float64 {
	if whole == 0 {
		return 100
	}
	return math.Floor(float64(part)/float64(whole)*100*1000) / 1000 // never round 99.9996 up to 100
}

// kbPerConn is the growth of RSS (in kB) per connection.
func kbPerConn(beforeKB, afterKB int64, n int) float64 {
	if n <= 0 {
		return 0
	}
	return round2(float64(afterKB-beforeKB) / float64(n))
}

// usPer is a CPU time per item in microseconds.
func usPer(cpu time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return round2(float64(cpu) / float64(time.Microsecond) / float64(n))
}

// kv is one named value; fields keeps them in the order they were added (JSON and tables).
type kv struct {
	K string
	V any
}

type fields []kv

func (f *fields) add(k string, v any) { *f = append(*f, kv{k, v}) }

// MarshalJSON writes the fields as one object, in order.
func (f fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.K)
		v, err := json.Marshal(p.V)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// result is one workload's outcome.
type result struct {
	Workload string
	Params   fields
	Metrics  fields
	// Headline is the measured figures the report's summary shows; Target is what issue 6 asks
	// (with the Socket.io reference) for the same row.
	Headline string
	Target   string
	// Pass is false when a correctness condition failed (delivered < 100%, lost events, failed
	// connects or requests); performance targets are not part of it.
	Pass  bool
	Notes []string
	// Rows is a table of figures, one row per case (rest: per size and operation), each with
	// the same keys; the markdown report shows it as a table.
	Rows []fields
}

func (r *result) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Workload string   `json:"workload"`
		Pass     bool     `json:"correct"`
		Params   fields   `json:"params"`
		Metrics  fields   `json:"metrics"`
		Rows     []fields `json:"rows,omitempty"`
		Notes    []string `json:"notes,omitempty"`
	}{r.Workload, r.Pass, r.Params, r.Metrics, r.Rows, r.Notes})
}
