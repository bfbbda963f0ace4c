package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// Headers of a delivery.
const (
	UserAgent       = "WorkspaceOps-Webhooks/1"
	HeaderEvent     = "X-WorkspaceOps-Event"
	HeaderDelivery  = "X-WorkspaceOps-Delivery"
	HeaderSeq       = "X-WorkspaceOps-Seq"
	HeaderSignature = "X-WorkspaceOps-Signature"
)

// DefaultRetry is the wait before each retry of a failed delivery: six tries over about two
// hours, after which the webhook is deactivated.
var DefaultRetry = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}

// Options configure a Dispatcher.
type Options struct {
	// Owner names this instance in leases; unique per process.
	Owner string
	// Retry is the wait before each retry (DefaultRetry when empty); a delivery is tried
	// len(Retry)+1 times.
	Retry []time.Duration
	// Lease is how long a webhook stays this instance's after it last renewed it (30 s when 0).
	Lease time.Duration
	// Poll is how often every active webhook is looked at, for entries appended by other
	// instances and retries that came due (5 s when 0).
	Poll time.Duration
	// Concurrency bounds the webhooks delivered at once (8 when 0).
	Concurrency int
	// Jitter returns a retry's wait from the scheduled one (nil: up to a fifth longer, so that
	// webhooks failing together do not retry together); tests keep the schedule exact.
	Jitter func(time.Duration) time.Duration
	// Attempts is told of every attempt (nil: nobody is).
	Attempts AttemptObserver
}

// AttemptObserver is told of every delivery attempt: its status (succeeded, pending, failed)
// and how long the receiver took.
type AttemptObserver interface {
	WebhookAttempt(status string, d time.Duration)
}

// batch is how many entries one read of the log takes.
const batch = 100

// Dispatcher delivers every active webhook's entries after its cursor. See the package doc.
type Dispatcher struct {
	repo   Repository
	log    Log
	sender Sender
	events events.Publisher
	clock  clock.Timers
	logger *slog.Logger
	opts   Options

	wake chan struct{}
	slot chan struct{} // Concurrency tokens
	// base is the context of work started outside Run's passes (redeliveries).
	base context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	running map[string]bool // webhook id -> another pass is wanted when it ends
	wg      sync.WaitGroup
	pruned  time.Time
}

// NewDispatcher returns a dispatcher; Run starts it.
func NewDispatcher(repo Repository, lg Log, sender Sender, pub events.Publisher, c clock.Timers, logger *slog.Logger, o Options) (*Dispatcher, error) {
	if repo == nil || lg == nil || sender == nil || pub == nil || c == nil || logger == nil {
		return nil, errors.New("webhook: all dispatcher dependencies are required")
	}
	if o.Owner == "" {
		o.Owner = ids.New()
	}
	if len(o.Retry) == 0 {
		o.Retry = DefaultRetry
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Jitter == nil {
		o.Jitter = func(d time.Duration) time.Duration { return d + rand.N(d/5+1) }
	}
	base, stop := context.WithCancel(context.Background())
	return &Dispatcher{
		repo: repo, log: lg, sender: sender, events: pub, clock: c, logger: logger, opts: o,
		wake: make(chan struct{}, 1), slot: make(chan struct{}, o.Concurrency),
		base: base, stop: stop, running: map[string]bool{},
	}, nil
}

// Wake asks for a pass over the active webhooks soon; wakes while one is pending merge.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: a pass at start (a restart resumes from the cursors), then one
// on every Wake (a new audit entry, a change through the API, a retry coming due) and every
// Poll. It returns once the deliveries in flight have ended.
func (d *Dispatcher) Run(ctx context.Context) {
	defer func() { d.stop(); d.wg.Wait() }()
	for {
		d.launchAll(ctx)
		t := d.clock.AfterFunc(d.opts.Poll, d.Wake)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
			t.Stop()
		}
	}
}

// Pass is one of Run's passes, waiting for its deliveries (and any redelivery in flight) to
// end: a test moves a manual clock and passes, instead of sleeping.
func (d *Dispatcher) Pass(ctx context.Context) {
	d.launchAll(ctx)
	d.wg.Wait()
}

// launchAll starts a delivery of every active webhook not already being delivered here (one
// that is asks for another round when it ends), and prunes the deliveries log now and then.
func (d *Dispatcher) launchAll(ctx context.Context) {
	now := d.clock.Now()
	if now.Sub(d.pruned) > time.Hour {
		d.pruned = now
		if err := d.repo.PruneAttempts(ctx, now.Add(-Retention)); err != nil {
			d.logger.WarnContext(ctx, "prune the webhook deliveries log", slog.Any("error", err))
		}
	}
	after := ""
	for {
		list, err := d.repo.Active(ctx, after, batch)
		if err != nil {
			d.logger.WarnContext(ctx, "list active webhooks", slog.Any("error", err))
			return
		}
		for _, w := range list {
			d.launch(ctx, w)
		}
		if len(list) < batch {
			return
		}
		after = list[len(list)-1].ID
	}
}

func (d *Dispatcher) launch(ctx context.Context, w Webhook) {
	if p := w.Pending; p != nil && p.NextAt.After(d.clock.Now()) {
		return // a retry not due yet; its timer wakes a pass
	}
	d.mu.Lock()
	if _, busy := d.running[w.ID]; busy {
		d.running[w.ID] = true
		d.mu.Unlock()
		return
	}
	d.running[w.ID] = false
	d.mu.Unlock()
	d.wg.Go(func() {
		select {
		case d.slot <- struct{}{}:
		case <-ctx.Done():
			d.done(w.ID)
			return
		}
		defer func() { <-d.slot }()
		for {
			d.deliver(ctx, w.WorkspaceID, w.ID)
			if !d.done(w.ID) {
				return
			}
		}
	})
}

// done ends a webhook's delivery round, reporting true (and keeping it marked) when a pass
// asked for another meanwhile.
func (d *Dispatcher) done(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running[id] {
		d.running[id] = false
		return true
	}
	delete(d.running, id)
	return false
}

// errLeaseLost ends a round whose webhook another instance took over, or whose cursor a replay
// moved, meanwhile.
var errLeaseLost = errors.New("webhook: the lease was lost or the cursor moved")

// deliver takes the webhook's lease, delivers what follows its cursor until it is caught up or
// a delivery fails, then lets the lease go.
func (d *Dispatcher) deliver(ctx context.Context, workspaceID, id string) {
	w, ok, err := d.take(ctx, workspaceID, id)
	if err != nil || !ok {
		if err != nil && !errors.Is(err, ErrNotFound) {
			d.logger.WarnContext(ctx, "take a webhook's lease", slog.String("webhook_id", id), slog.Any("error", err))
		}
		return
	}
	err = d.drain(ctx, &w)
	if err != nil && !errors.Is(err, errLeaseLost) && !errors.Is(err, ErrNotFound) {
		d.logger.WarnContext(ctx, "deliver webhook", slog.String("webhook_id", id), slog.Any("error", err))
	}
	// Let go, so that another instance need not wait for the lease to expire; a lost lease is
	// left to its new holder.
	_, _, _ = d.repo.Update(context.WithoutCancel(ctx), workspaceID, id, func(x *Webhook) (bool, error) {
		if x.LeaseOwner != d.opts.Owner {
			return false, nil
		}
		x.LeaseOwner, x.LeaseUntil = "", time.Time{}
		return true, nil
	})
}

// take acquires or renews the webhook's lease (compare-and-set on the stored webhook): free,
// expired or already ours.
func (d *Dispatcher) take(ctx context.Context, workspaceID, id string) (Webhook, bool, error) {
	now := d.clock.Now()
	w, wrote, err := d.repo.Update(ctx, workspaceID, id, func(w *Webhook) (bool, error) {
		if !w.Active || !w.heldBy(d.opts.Owner, now) {
			return false, nil
		}
		w.LeaseOwner, w.LeaseUntil = d.opts.Owner, now.Add(d.opts.Lease)
		return true, nil
	})
	return w, wrote, err
}

// drain delivers the entries after w's cursor, in seq order, one at a time, until none is
// left or one fails.
func (d *Dispatcher) drain(ctx context.Context, w *Webhook) error {
	for ctx.Err() == nil {
		if !w.Active {
			return nil
		}
		if p := w.Pending; p != nil && p.NextAt.After(d.clock.Now()) {
			d.clock.AfterFunc(p.NextAt.Sub(d.clock.Now()), d.Wake)
			return nil
		}
		entries, err := d.log.Since(ctx, w.WorkspaceID, w.Cursor, batch)
		if err != nil {
			return fmt.Errorf("read the audit log: %w", err)
		}
		if len(entries) == 0 {
			return nil
		}
		for _, e := range entries {
			if !w.Wants(e.Event) {
				continue
			}
			ok, err := d.attempt(ctx, w, e)
			if err != nil || !ok {
				return err
			}
		}
		// The entries after the last delivered one matched nothing: the cursor passes them.
		if last := entries[len(entries)-1].Seq; last > w.Cursor {
			if err := d.advance(ctx, w, last); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// advance moves the cursor to seq (and drops a pending retry), renewing the lease, if the
// lease is still ours and no replay moved the cursor meanwhile.
func (d *Dispatcher) advance(ctx context.Context, w *Webhook, seq int64) error {
	return d.save(ctx, w, func(x *Webhook) {
		x.Cursor, x.Pending = seq, nil
	})
}

// save writes change onto the stored webhook if the lease is still ours and its generation the
// one w was read at, renewing the lease; w becomes what was written.
func (d *Dispatcher) save(ctx context.Context, w *Webhook, change func(*Webhook)) error {
	now := d.clock.Now()
	gen := w.Generation
	next, _, err := d.repo.Update(context.WithoutCancel(ctx), w.WorkspaceID, w.ID, func(x *Webhook) (bool, error) {
		if x.LeaseOwner != d.opts.Owner || x.Generation != gen {
			return false, errLeaseLost
		}
		change(x)
		x.LeaseUntil = now.Add(d.opts.Lease)
		return true, nil
	})
	if err != nil {
		return err
	}
	*w = next
	return nil
}

// attempt sends e to w, records the attempt, and moves the cursor past e on success or keeps e
// pending (or deactivates w after the last try) on failure. It reports whether it succeeded.
func (d *Dispatcher) attempt(ctx context.Context, w *Webhook, e Entry) (bool, error) {
	deliveryID, try := ids.New(), 1
	if p := w.Pending; p != nil && p.Seq == e.Seq {
		deliveryID, try = p.DeliveryID, p.Attempt+1
	}
	stop := d.keepLease(ctx, *w)
	res := d.send(ctx, *w, deliveryID, e)
	stop()
	a := d.record(ctx, *w, deliveryID, e, try, try <= len(d.opts.Retry), res)
	if a.Status == StatusSucceeded {
		return true, d.advance(ctx, w, e.Seq)
	}
	if try <= len(d.opts.Retry) {
		next := d.clock.Now().Add(d.opts.Jitter(d.opts.Retry[try-1]))
		err := d.save(ctx, w, func(x *Webhook) {
			x.Pending = &Pending{DeliveryID: deliveryID, Seq: e.Seq, Attempt: try, NextAt: next}
		})
		if err == nil {
			d.clock.AfterFunc(next.Sub(d.clock.Now()), d.Wake)
		}
		return false, err
	}
	reason := fmt.Sprintf("the delivery of seq %d failed %d times (last: %s)", e.Seq, try, a.Error)
	err := d.save(ctx, w, func(x *Webhook) {
		x.Active, x.DisabledReason, x.Pending = false, reason, nil
	})
	if err != nil {
		return false, err
	}
	d.logger.WarnContext(ctx, "webhook deactivated", slog.String("webhook_id", w.ID), slog.String("reason", reason))
	d.events.Publish(ctx, events.NewWebhookDisabled(w.ID, reason, e.Seq).Event(w.WorkspaceID, "", d.clock.Now()))
	return false, nil
}

// keepLease renews w's lease every third of its length until the returned stop is called, so
// that a slow receiver (up to the sender's timeout) does not let another instance take the
// webhook over mid-delivery. It writes only the lease, and only while it is still ours.
func (d *Dispatcher) keepLease(ctx context.Context, w Webhook) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		timer   clock.Timer
	)
	var renew func()
	renew = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		now := d.clock.Now()
		_, _, err := d.repo.Update(context.WithoutCancel(ctx), w.WorkspaceID, w.ID, func(x *Webhook) (bool, error) {
			if x.LeaseOwner != d.opts.Owner || x.Generation != w.Generation {
				return false, nil
			}
			x.LeaseUntil = now.Add(d.opts.Lease)
			return true, nil
		})
		if err != nil {
			d.logger.WarnContext(ctx, "renew a webhook's lease", slog.String("webhook_id", w.ID), slog.Any("error", err))
		}
		timer = d.clock.AfterFunc(d.opts.Lease/3, renew)
	}
	timer = d.clock.AfterFunc(d.opts.Lease/3, renew)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}
