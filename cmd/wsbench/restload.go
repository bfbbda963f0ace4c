package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// restLoad: K concurrent clients, each op for a third of the duration: list work items (50 of
// -rest-items), the overview, a status change (each client flips its own item).
func (b *bench) restLoad(ctx context.Context) (*result, error) {
	k, d := b.cfg.restClients, b.cfg.restDuration
	users, err := b.ensureUsers(ctx, k+1)
	if err != nil {
		return nil, err
	}
	wid, err := b.workspace(ctx, users)
	if err != nil {
		return nil, err
	}
	owner := users[0]
	err = parallel(ctx, b.cfg.restItems, 8, func(ctx context.Context, j int) error {
		_, err := b.rest.createWorkItem(ctx, owner.token, wid, fmt.Sprintf("wsbench listed item %d", j))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("seed work items: %w", err)
	}
	fl, err := newFlipper(ctx, b.rest, owner, wid, k, 0)
	if err != nil {
		return nil, err
	}
	// Client c is member users[c+1] with its own token, on server c % len(servers); it flips
	// work item c (created by the flipper).
	ops := []struct {
		name string
		call func(ctx context.Context, c int) error
	}{
		{"list_work_items", func(ctx context.Context, c int) error {
			return b.apis[c%len(b.apis)].listWorkItems(ctx, users[c+1].token, wid)
		}},
		{"overview", func(ctx context.Context, c int) error {
			return b.apis[c%len(b.apis)].overview(ctx, users[c+1].token, wid)
		}},
		{"status_change", nil},
	}
	status := make([]string, k)
	for c := range status {
		status[c] = "DRAFT"
	}
	ops[2].call = func(ctx context.Context, c int) error {
		next := "ACTIVE"
		if status[c] == "ACTIVE" {
			next = "DRAFT"
		}
		if err := b.apis[c%len(b.apis)].setStatus(ctx, users[c+1].token, wid, fl.items[c], next); err != nil {
			return err
		}
		status[c] = next
		return nil
	}
	b.logf("rest: %d clients, %s per operation", k, (d / 3).Round(time.Millisecond))
	res := &result{Pass: true}
	res.Params.add("clients", k)
	res.Params.add("seconds_per_op", round2((d / 3).Seconds()))
	res.Params.add("listed_items", b.cfg.restItems)
	var heads []string
	for _, op := range ops {
		var mu sync.Mutex
		var lats []time.Duration
		var errs int64
		var firstErr string
		end := time.Now().Add(d / 3)
		var wg sync.WaitGroup
		start := time.Now()
		for c := range k {
			wg.Go(func() {
				local := make([]time.Duration, 0, 1024)
				var e int64
				var fe string
				for time.Now().Before(end) && ctx.Err() == nil {
					t := time.Now()
					err := op.call(ctx, c)
					if err != nil {
						e++
						if fe == "" {
							fe = err.Error()
						}
						continue
					}
					local = append(local, time.Since(t))
				}
				mu.Lock()
				lats = append(lats, local...)
				errs += e
				if firstErr == "" {
					firstErr = fe
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		wall := time.Since(start)
		l := summarize(lats)
		m := &res.Metrics
		m.add(op.name+"_requests", l.N)
		m.add(op.name+"_errors", errs)
		m.add(op.name+"_per_s", perSecond(int64(l.N), wall))
		l.fields(m, op.name)
		if errs > 0 {
			res.Pass = false
			res.Notes = append(res.Notes, op.name+": first error: "+firstErr)
		}
		heads = append(heads, fmt.Sprintf("%s %.0f/s p99 %.1f ms", strings.ReplaceAll(op.name, "_", " "), perSecond(int64(l.N), wall), ms(l.P99)))
	}
	res.Notes = append(res.Notes, "on the embedded store (FerretDB on SQLite, in process): it plans no index use, so lists scan the workspace")
	res.Headline = strings.Join(heads, "; ")
	res.Target = "no figure in issue 6 (reported to catch regressions)"
	return res, nil
}
