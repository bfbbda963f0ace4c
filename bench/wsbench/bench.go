package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// epoch is the load generator's clock origin: timestamps shared between goroutines are
// nanoseconds since it (monotonic), so they fit an atomic int64.
var epoch = time.Now()

func since() int64 { return int64(time.Since(epoch)) }

// bench is the state shared by the workloads: the servers, the user pool.
type bench struct {
	cfg     *config
	log     io.Writer
	apis    []*api  // one per server URL
	rest    *api    // the first: REST workloads
	setup   backend // users, workspaces and changes: rest, or a reference's (Socket.io, Centrifugo)
	dial    *dialer
	noFile  uint64
	dataset string // what seed made, for the report; "" when nothing

	mu    sync.Mutex
	users []*user // registered so far, reused by every workload
	wsSeq int
}

func newBench(cfg *config, log io.Writer) *bench {
	b := &bench{cfg: cfg, log: log, dial: newDialer(cfg.batch)}
	for _, u := range cfg.urls {
		b.apis = append(b.apis, newAPI(u, 64))
	}
	b.rest = b.apis[0]
	b.setup = b.rest
	ttl := cfg.timeout + 10*time.Minute
	switch cfg.target {
	case targetSocketIO:
		b.setup = newSIOBackend(b.rest, cfg.refSecret, ttl, cfg.runID)
	case targetCentrifugo:
		b.setup = newCFBackend(b.rest, cfg.refSecret, cfg.cfAPIKey, ttl, cfg.runID)
		for _, a := range b.apis {
			a.readyPath = "/health" // compare.sh enables it
		}
	}
	return b
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s wsbench: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// maxClients is the most connections any selected workload opens at once.
func (b *bench) maxClients() int {
	n := 0
	for _, w := range b.cfg.workloads {
		n = max(n, b.clients(w))
	}
	return n
}

// clients is how many realtime connections workload w opens.
func (b *bench) clients(w string) int {
	if strings.HasSuffix(w, "-sse") {
		return b.cfg.sseSubs
	}
	switch w {
	case "idle":
		return b.cfg.idleConns
	case "fanout":
		return b.cfg.fanoutSubs
	case "saturate":
		return b.cfg.saturateSubs
	case "churn":
		return b.cfg.churnClients
	}
	return 0
}

// prepare waits for the servers, raises the open-files limit and checks the servers' limit.
func (b *bench) prepare(ctx context.Context) error {
	need := uint64(b.maxClients()) + 256
	lim, err := raiseNoFile(need)
	b.noFile = lim
	if err != nil || lim < need {
		b.logf("WARNING: open-files limit is %d, %d needed (raise it: ulimit -n %d): %v", lim, need, need, err)
	}
	for _, pid := range b.cfg.pids {
		perServer := need / uint64(len(b.cfg.urls))
		if sl := openFilesLimit(pid); sl > 0 && sl < perServer {
			b.logf("WARNING: server pid %d may open only %d files; this run needs about %d: start it with a higher ulimit -n", pid, sl, perServer)
		}
		if _, err := procStatusKB(pid, "VmRSS"); err != nil {
			return fmt.Errorf("-pid %d: %v", pid, err)
		}
	}
	for _, a := range b.apis {
		if err := a.waitReady(ctx, b.cfg.waitReady); err != nil {
			return err
		}
	}
	b.logf("servers ready: %s; %s; open files %d", b.cfg.urls[0], goInfo(), lim)
	return nil
}

// pause lets the server settle between workloads.
func (b *bench) pause(ctx context.Context) {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (b *bench) runWorkload(ctx context.Context, w string) (*result, error) {
	name, sse := strings.CutSuffix(w, "-sse")
	b.logf("workload %s: start", w)
	var (
		res *result
		err error
	)
	switch name {
	case "idle":
		res, err = b.idle(ctx, sse)
	case "fanout":
		res, err = b.fanout(ctx, sse)
	case "fanout-wide":
		res, err = b.fanoutWide(ctx)
	case "saturate":
		res, err = b.saturate(ctx, sse)
	case "churn":
		res, err = b.churn(ctx, sse)
	case "rest":
		res, err = b.restLoad(ctx)
	default:
		err = fmt.Errorf("unknown workload")
	}
	if res != nil {
		res.Workload = w
		switch b.cfg.target {
		case targetSocketIO:
			res.Params.add("target", targetSocketIO)
			res.Target = "none: this is the Socket.io reference (make bench-compare has the ratios)"
		case targetCentrifugo:
			res.Params.add("target", targetCentrifugo)
			res.Target = "none: this is Centrifugo (make bench-compare has the ratios)"
		}
	}
	return res, err
}

// ensureUsers registers users until the pool holds n, concurrently.
func (b *bench) ensureUsers(ctx context.Context, n int) ([]*user, error) {
	b.mu.Lock()
	have := len(b.users)
	b.mu.Unlock()
	if have >= n {
		return b.poolPrefix(n), nil
	}
	start := time.Now()
	fresh := make([]*user, n-have)
	err := parallel(ctx, len(fresh), b.cfg.regConcurrency, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("wsbench-%s-%d@example.com", b.cfg.runID, have+i)
		u, err := b.setup.register(ctx, email)
		if err != nil {
			return fmt.Errorf("register %s: %w", email, err)
		}
		fresh[i] = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.users = append(b.users, fresh...)
	b.mu.Unlock()
	b.logf("registered %d users in %s", len(fresh), time.Since(start).Round(time.Millisecond))
	return b.poolPrefix(n), nil
}

func (b *bench) poolPrefix(n int) []*user {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.users[:n:n]
}

// room gets enough users for n connections (one each) and one workspace they all belong to.
func (b *bench) room(ctx context.Context, n int) ([]*user, string, error) {
	users, wids, err := b.rooms(ctx, n, 1)
	if err != nil {
		return nil, "", err
	}
	return users, wids[0], nil
}

// rooms gets enough users for n connections (one each, at least nw) and nw workspaces:
// workspace w is owned by user w, and user u >= nw is a member of workspace u % nw only, so
// connection i (user i % len(users)) goes to workspace (i % len(users)) % nw: roomOf.
func (b *bench) rooms(ctx context.Context, n, nw int) ([]*user, []string, error) {
	users, err := b.ensureUsers(ctx, b.usersFor(n, nw))
	if err != nil {
		return nil, nil, err
	}
	wids := make([]string, nw)
	err = parallel(ctx, nw, 8, func(ctx context.Context, w int) error {
		group := []*user{users[w]}
		for u := w + nw; u < len(users); u += nw {
			group = append(group, users[u])
		}
		wid, err := b.workspace(ctx, group)
		wids[w] = wid
		return err
	})
	return users, wids, err
}

// roomOf is the workspace (an index of rooms' wids) of connection i.
func roomOf(i, users, workspaces int) int { return (i % users) % workspaces }

// workspace creates a workspace owned by users[0] whose other users are members (MEMBER).
func (b *bench) workspace(ctx context.Context, users []*user) (string, error) {
	b.mu.Lock()
	b.wsSeq++
	name := fmt.Sprintf("wsbench %s %d", b.cfg.runID, b.wsSeq)
	b.mu.Unlock()
	wid, err := b.setup.createWorkspace(ctx, users[0].token, name)
	if err != nil {
		return "", fmt.Errorf("create workspace: %w", err)
	}
	err = parallel(ctx, len(users)-1, 8, func(ctx context.Context, i int) error {
		return b.setup.addMember(ctx, users[0].token, wid, users[i+1].email, "MEMBER")
	})
	if err != nil {
		return "", fmt.Errorf("add members: %w", err)
	}
	return wid, nil
}

// usersFor is how many users n connections need at connsPerUser each (at least min).
func (b *bench) usersFor(n, atLeast int) int {
	return max(atLeast, (n+b.cfg.connsPerUser-1)/b.cfg.connsPerUser)
}

// open opens one realtime connection for u to wid on the server of slot i.
func (b *bench) open(ctx context.Context, sse bool, i int, u *user, wid string, since int64) (conn, int64, error) {
	a := b.apis[i%len(b.apis)]
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch {
	case b.cfg.target == targetSocketIO:
		return b.dial.openSIO(octx, a, u, wid)
	case b.cfg.target == targetCentrifugo:
		c, err := b.dial.openCF(octx, a, u, wid)
		if err != nil {
			return nil, 0, err
		}
		// Subscribed: every publication from now on reaches c. The backend numbers them, and
		// its head waits for a publish under way.
		seq, err := b.setup.head(octx, u.token, wid)
		if err != nil {
			c.close(false)
			return nil, 0, err
		}
		return c, seq, nil
	case sse:
		return b.dial.openSSE(octx, a, u, wid, since)
	}
	return b.dial.openWS(octx, a, u, wid, since)
}

// parallel runs f(0..n-1) with at most conc at once and returns the first error (the others
// are cancelled).
func parallel(ctx context.Context, n, conc int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, conc) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// sleepCtx sleeps d or until ctx ends, reporting whether the full time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitFor polls cond every 50 ms until it holds or d passes; it reports whether it held.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || !sleepCtx(ctx, 50*time.Millisecond) {
			return cond()
		}
	}
}
