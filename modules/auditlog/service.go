package auditlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/observe"
	"github.com/workspaceops/workspaceops/platform/page"
)

// Retry schedule of a failed append: attempts at 0, 50 ms, 100 ms, 200 ms, 400 ms, 800 ms.
const (
	appendAttempts = 6
	firstBackoff   = 50 * time.Millisecond
)

// Service appends events and reads the log.
type Service struct {
	repo     Repository
	authz    authz.Authorizer
	log      *slog.Logger
	failures atomic.Int64
	sleep    func(context.Context, time.Duration) error
	tracer   observe.Tracer
	// receivers get every stored entry, in order: the broadcaster given to NewService first,
	// then the subscribers. Copied on Subscribe, so Publish reads it without a lock.
	receivers atomic.Pointer[[]Broadcaster]
}

// Option configures a Service.
type Option func(*Service)

// WithTracer traces each append (a span "auditlog.append", a child of the caller's) and gives
// the stored entry its traceparent (Entry.Trace), so its receivers continue the trace.
func WithTracer(t observe.Tracer) Option { return func(s *Service) { s.tracer = t } }

// NewService returns the audit log. broadcaster (the realtime bus) is the first to receive
// every stored entry; it may be NoBroadcast{}; none may be nil.
func NewService(repo Repository, az authz.Authorizer, broadcaster Broadcaster, log *slog.Logger, opts ...Option) (*Service, error) {
	if repo == nil || az == nil || broadcaster == nil || log == nil {
		return nil, errors.New("auditlog: all dependencies are required")
	}
	s := &Service{repo: repo, authz: az, log: log, sleep: sleepCtx, tracer: observe.NoTracer{}}
	for _, o := range opts {
		o(s)
	}
	s.receivers.Store(&[]Broadcaster{broadcaster})
	return s, nil
}

// Subscribe adds b to the receivers of every entry stored from now on, after those already
// there. It is for a receiver that publishes back into the log (the overview announcing its
// figures moved), which can only be built once the log exists, so it cannot be NewService's
// broadcaster.
func (s *Service) Subscribe(b Broadcaster) {
	for {
		old := s.receivers.Load()
		next := append((*old)[:len(*old):len(*old)], b)
		if s.receivers.CompareAndSwap(old, &next) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Publish appends a workspace event to the log, then hands the stored entry to every receiver
// (see Subscribe). It is the events.Publisher every module publishes through. The mutation it
// records has already happened, so a failing append is retried with backoff (even if the
// request that caused it is cancelled meanwhile), and if every attempt fails it is logged with
// the whole event and counted (Failures). Events outside any workspace (user:registered) are not audit entries.
func (s *Service) Publish(ctx context.Context, e events.Event) {
	if e.WorkspaceID == "" {
		return
	}
	action, ok := events.ActionOf(e.Name)
	if !ok {
		s.failures.Add(1)
		s.log.ErrorContext(ctx, "event outside the catalogue not logged", slog.String("event", string(e.Name)))
		return
	}
	entry := Entry{
		ID: ids.New(), WorkspaceID: e.WorkspaceID, Action: action, Event: e.Name, TargetType: e.TargetType,
		TargetID: e.TargetID, ActorID: e.ActorID, At: e.At, Data: e.Data,
	}
	ctx = context.WithoutCancel(ctx)
	ctx, span := s.tracer.Start(ctx, "auditlog.append", "")
	entry.Trace = s.tracer.TraceParent(ctx)
	var err error
	defer func() { span.End(err) }()
	backoff := firstBackoff
	for attempt := 1; attempt <= appendAttempts; attempt++ {
		var stored Entry
		if stored, err = s.repo.Append(ctx, entry); err == nil {
			stored.Trace = entry.Trace
			for _, r := range *s.receivers.Load() {
				r.Broadcast(ctx, stored)
			}
			return
		}
		if attempt < appendAttempts {
			s.log.WarnContext(ctx, "audit append failed; retrying", slog.Int("attempt", attempt), slog.Any("error", err))
			_ = s.sleep(ctx, backoff)
			backoff *= 2
		}
	}
	s.failures.Add(1)
	s.log.ErrorContext(ctx, "audit entry lost after retries",
		slog.String("event", string(e.Name)), slog.String("workspace_id", e.WorkspaceID),
		slog.String("target_id", e.TargetID), slog.String("actor_id", e.ActorID), slog.Time("at", e.At),
		slog.Any("data", e.Data), slog.Any("error", err))
}

var _ events.Publisher = (*Service)(nil)

// Failures counts events that could not be appended after every retry, since start.
func (s *Service) Failures() int64 { return s.failures.Load() }

// ListInput is an audit log page request as the caller sends it.
type ListInput struct {
	Actions    []string
	ActorID    string
	TargetType string
	TargetID   string
	From, To   *time.Time
	Cursor     string
	Limit      int
}

// List returns one page of a workspace's log, newest first; every member may read it.
func (s *Service) List(ctx context.Context, actorID, workspaceID string, in ListInput) (page.Page[Entry], error) {
	if err := s.authz.Authorize(ctx, workspaceID, actorID, authz.AuditLogRead); err != nil {
		return page.Page[Entry]{}, err
	}
	var fields apperr.Fields
	for _, a := range in.Actions {
		if _, ok := events.NameOf(a); !ok {
			fields.Add("action", "unknown action "+a)
			break
		}
	}
	if in.From != nil && in.To != nil && !in.From.Before(*in.To) {
		fields.Add("to", "must be after from")
	}
	if err := fields.Err(); err != nil {
		return page.Page[Entry]{}, err
	}
	c, err := page.DecodeCursor(in.Cursor, 1)
	if err != nil {
		return page.Page[Entry]{}, err
	}
	q := Query{Actions: in.Actions, ActorID: in.ActorID, TargetType: in.TargetType, TargetID: in.TargetID, From: in.From, To: in.To, Limit: in.Limit + 1}
	if c[0] != "" {
		if _, err := fmt.Sscan(c[0], &q.BeforeSeq); err != nil || q.BeforeSeq < 1 {
			return page.Page[Entry]{}, page.ErrBadCursor
		}
	}
	entries, err := s.repo.List(ctx, workspaceID, q)
	if err != nil {
		return page.Page[Entry]{}, fmt.Errorf("list audit log: %w", err)
	}
	var out page.Page[Entry]
	if len(entries) > in.Limit {
		entries = entries[:in.Limit]
		out.NextCursor = page.EncodeCursor(fmt.Sprint(entries[len(entries)-1].Seq))
	}
	out.Items = entries
	return out, nil
}

// Since returns up to limit entries of a workspace after seq, oldest first, for replay to a
// client that already passed authorization (the realtime layer checks membership on join).
func (s *Service) Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]Entry, error) {
	return s.repo.Since(ctx, workspaceID, afterSeq, limit)
}

// Head returns a workspace's latest seq (0 when empty); the caller authorizes.
func (s *Service) Head(ctx context.Context, workspaceID string) (int64, error) {
	return s.repo.Head(ctx, workspaceID)
}

// Recent returns the newest entries of a workspace that record changes (overview:updated
// notifications left out), newest first; the caller authorizes. It feeds the overview.
func (s *Service) Recent(ctx context.Context, workspaceID string, limit int) ([]Entry, error) {
	return s.repo.List(ctx, workspaceID, Query{Actions: changeActions, Limit: limit})
}

// changeActions are the actions that record changes (the catalogue's Change events).
var changeActions = events.ChangeActions()
