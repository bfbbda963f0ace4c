package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// flipper makes real changes: it flips work items between DRAFT and ACTIVE through REST, each
// item one change at a time, so the k-th work-item:status-changed event of an item is its k-th
// flip and a subscriber can find when that change was sent.
type flipper struct {
	a      backend
	items  []flipItem
	idx    map[string]int // item id -> index
	status []string       // current status of each item (owned by whoever flips it)
	sent   [][]atomic.Int64
	done   []atomic.Int32 // successful flips per item

	ok, failed, skipped atomic.Int64

	mu       sync.Mutex
	restLat  []time.Duration
	firstErr string
}

// flipItem is a work item, its workspace and the token of the user who flips it.
type flipItem struct{ id, wid, token string }

// newFlipper creates n work items, item j in workspace wids[j%len(wids)] as owners[j%len(wids)],
// and keeps room for perItem send times of each (0: no send times, for workloads that do not
// measure latency).
func newFlipper(ctx context.Context, a backend, owners []*user, wids []string, n, perItem int) (*flipper, error) {
	f := &flipper{a: a, items: make([]flipItem, n), idx: map[string]int{},
		status: make([]string, n), sent: make([][]atomic.Int64, n), done: make([]atomic.Int32, n)}
	err := parallel(ctx, n, 8, func(ctx context.Context, j int) error {
		it := flipItem{wid: wids[j%len(wids)], token: owners[j%len(wids)].token}
		id, err := a.createWorkItem(ctx, it.token, it.wid, fmt.Sprintf("wsbench item %d", j))
		it.id = id
		f.items[j] = it
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create work items: %w", err)
	}
	for j, it := range f.items {
		f.idx[it.id] = j
		f.status[j] = "DRAFT"
		f.sent[j] = make([]atomic.Int64, perItem)
	}
	return f, nil
}

// flip moves item j to its other status; it reports false when the change failed (the item
// should not be flipped again: whether the change happened is unknown).
func (f *flipper) flip(ctx context.Context, j int) bool {
	k := int(f.done[j].Load())
	if k < len(f.sent[j]) {
		f.sent[j][k].Store(since())
	}
	next := "ACTIVE"
	if f.status[j] == "ACTIVE" {
		next = "DRAFT"
	}
	t := time.Now()
	it := f.items[j]
	err := f.a.setStatus(ctx, it.token, it.wid, it.id, next)
	d := time.Since(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			f.failed.Add(1)
			if f.firstErr == "" {
				f.firstErr = err.Error()
			}
		}
		return false
	}
	f.status[j] = next
	f.done[j].Add(1)
	f.ok.Add(1)
	f.restLat = append(f.restLat, d)
	return true
}

// expected is the deliveries the changes made owe subs: each change, once to every subscriber
// of its item's workspace (item j is in workspace j % workspaces).
func (f *flipper) expected(subs []*subscriber, workspaces int) int64 {
	in := make([]int64, workspaces)
	for _, s := range subs {
		in[s.room]++
	}
	var n int64
	for j := range f.items {
		n += int64(f.done[j].Load()) * in[j%workspaces]
	}
	return n
}

// sentAt is when the k-th flip of item j was sent (0 when unknown).
func (f *flipper) sentAt(j, k int) int64 {
	if k < len(f.sent[j]) {
		return f.sent[j][k].Load()
	}
	return 0
}

// runRate flips at rate changes per second for d, taking a free item per tick; a tick with no
// free item (every item's previous flip still in flight: the server is behind) is skipped.
func (f *flipper) runRate(ctx context.Context, rate float64, d time.Duration) {
	free := make(chan int, len(f.items))
	for j := range f.items {
		free <- j
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
		select {
		case j := <-free:
			wg.Go(func() {
				if f.flip(ctx, j) {
					free <- j
				}
			})
		default:
			f.skipped.Add(1)
		}
	}
	wg.Wait()
}

// runMax flips back to back with writers concurrent writers, each on its own items, for d.
func (f *flipper) runMax(ctx context.Context, writers int, d time.Duration) {
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range min(writers, len(f.items)) {
		wg.Go(func() {
			for j := w; j < len(f.items); j += writers {
				for time.Now().Before(end) && ctx.Err() == nil {
					if !f.flip(ctx, j) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
}

// restLatency summarises the flips' REST latency.
func (f *flipper) restLatency() latency {
	f.mu.Lock()
	defer f.mu.Unlock()
	return summarize(append([]time.Duration(nil), f.restLat...))
}

func (f *flipper) notes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstErr == "" {
		return nil
	}
	return []string{"first failed change: " + f.firstErr}
}
