// Package natsbus is the realtime bus over NATS, for several instances behind one load
// balancer: each instance publishes every audit entry it appends on <prefix>.<workspaceId> and
// feeds its own hub with what every other instance publishes, so a change made through any
// instance reaches every socket and stream.
//
// NATS core (at-most-once) is enough because the audit log is the source of truth: hubs order
// entries by seq and fill a missing one from the log, and whenever this bus may have lost
// entries (a reconnect, a message dropped for a slow subscription, while NATS is down every poll
// interval, and every SweepEvery anyway, for an entry lost at the tail of a workspace: its
// publisher died between append and publish) it tells its subscribers, which re-read the log.
// An instance never waits on NATS to serve REST: entries are published from a bounded queue.
//
// The bus also relays token revocations ("every token of user U below generation G is void",
// when U signs out everywhere or changes their password) on <prefix>.users.revoked, so that the
// other instances refuse those tokens at once and close U's sockets. At most once, like the
// entries: a revocation lost while NATS is down still takes effect on REST within the identity
// cache's few seconds, and on a socket when its token expires.
package natsbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
)

// Options configure the bus.
type Options struct {
	URL     string        // one or more nats:// or tls:// URLs, comma-separated
	Subject string        // the subject prefix, e.g. workspaceops.audit
	Name    string        // the connection's name, shown by the NATS server's monitoring
	Poll    time.Duration // while disconnected, how often subscribers are told to re-read the log
	Log     *slog.Logger
}

// Bus is a realtime.Bus over NATS.
type Bus struct {
	nc     *nats.Conn
	sub    *nats.Subscription
	prefix string
	log    *slog.Logger
	pub    chan auditlog.Entry // published by one goroutine, so Broadcast never waits on NATS
	stop   chan struct{}
	done   sync.WaitGroup

	mu      sync.RWMutex
	subs    map[int]subscriber
	next    int
	revokes []func(userID string, generation int64)

	published, publishFailures, received, malformed atomic.Int64
}

type subscriber struct {
	deliver func(auditlog.Entry)
	lost    func()
}

// Stats are the bus's counters since start.
type Stats struct {
	Published       int64 `json:"published"`       // entries handed to NATS
	PublishFailures int64 `json:"publishFailures"` // entries not published (queue full, reconnect buffer full, closed)
	Received        int64 `json:"received"`        // entries from other instances
	Malformed       int64 `json:"malformed"`       // messages on our subjects that did not decode
}

// publishQueue bounds the entries waiting to be published; SweepEvery is how often, while
// connected, subscribers re-read the log anyway.
const (
	publishQueue = 8192
	SweepEvery   = 30 * time.Second
)

// New connects to NATS and subscribes to every workspace's subject. When NATS cannot be reached
// it still returns a bus, which keeps trying in the background (Ready says so): an instance
// must start and serve REST while NATS is down.
func New(o Options) (*Bus, error) {
	if o.URL == "" || o.Subject == "" || o.Poll <= 0 || o.Log == nil {
		return nil, errors.New("natsbus: URL, Subject, Poll and Log are required")
	}
	b := &Bus{prefix: o.Subject, log: o.Log, pub: make(chan auditlog.Entry, publishQueue), stop: make(chan struct{}), subs: map[int]subscriber{}}
	nc, err := nats.Connect(o.URL,
		nats.Name(o.Name),
		nats.NoEcho(), // this instance delivers its own entries in-process, before publishing
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.IgnoreAuthErrorAbort(), // credentials fixed on the server side are picked up without a restart
		nats.ReconnectWait(time.Second),
		nats.PingInterval(5*time.Second), nats.MaxPingsOutstanding(2), // a dead server is noticed in ~10s
		nats.FlusherTimeout(2*time.Second), // a stalled socket fails writes instead of holding them
		nats.ClosedHandler(func(*nats.Conn) {
			select {
			case <-b.stop: // Close
			default:
				b.log.Error("nats: connection closed for good; realtime events from other instances now come from the log only")
			}
		}),
		nats.ConnectHandler(func(*nats.Conn) {
			b.log.Info("nats: connected")
			b.lostAll() // anything appended elsewhere before this moment was not heard
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Warn("nats: disconnected; rooms re-read the log until it is back", slog.Any("error", err))
		}),
		nats.ReconnectHandler(func(*nats.Conn) {
			b.log.Info("nats: reconnected")
			b.lostAll()
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Warn("nats: asynchronous error", slog.Any("error", err))
			if errors.Is(err, nats.ErrSlowConsumer) {
				b.lostAll() // messages were dropped for this subscription
			}
		}),
	)
	if err != nil {
		// Only a malformed option or URL fails here (RetryOnFailedConnect covers an absent server).
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	sub, err := nc.Subscribe(o.Subject+".*", b.receive)
	if err == nil {
		_, err = nc.Subscribe(b.revocationSubject(), b.receiveRevocation)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsbus: subscribe: %w", err)
	}
	b.nc, b.sub = nc, sub
	b.done.Add(2)
	go b.watch(o.Poll)
	go b.publish()
	return b, nil
}

// Close stops polling, publishes what is queued, flushes and closes the connection.
func (b *Bus) Close() {
	close(b.stop)
	b.done.Wait()
	if b.nc.IsConnected() {
		if err := b.nc.FlushTimeout(2 * time.Second); err != nil {
			b.log.Warn("nats: flush at close", slog.Any("error", err))
		}
	}
	b.nc.Close()
}

// Broadcast delivers an appended entry to this instance's hub, then queues it for the others.
// An entry that cannot be published is logged and counted; the other instances fill the gap
// from the log when the next entry of that workspace reaches them, or at their next catch-up.
func (b *Bus) Broadcast(_ context.Context, e auditlog.Entry) {
	b.mu.RLock()
	for _, s := range b.subs {
		s.deliver(e)
	}
	b.mu.RUnlock()
	select {
	case b.pub <- e:
	default:
		b.failed(e, errors.New("the publish queue is full"))
	}
}

// publish sends the queued entries, until Close, then what is left.
func (b *Bus) publish() {
	defer b.done.Done()
	send := func(e auditlog.Entry) {
		data, err := json.Marshal(toMessage(e))
		if err == nil {
			err = b.nc.Publish(b.prefix+"."+e.WorkspaceID, data)
		}
		if err != nil {
			b.failed(e, err)
			return
		}
		b.published.Add(1)
	}
	for {
		select {
		case e := <-b.pub:
			send(e)
		case <-b.stop:
			for {
				select {
				case e := <-b.pub:
					send(e)
				default:
					return
				}
			}
		}
	}
}

func (b *Bus) failed(e auditlog.Entry, err error) {
	b.publishFailures.Add(1)
	b.log.Warn("nats: publish an audit entry", slog.String("workspace_id", e.WorkspaceID), slog.Int64("seq", e.Seq), slog.Any("error", err))
}

// Subscribe registers a subscriber (the hub).
func (b *Bus) Subscribe(deliver func(auditlog.Entry), lost func()) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.subs[id] = subscriber{deliver: deliver, lost: lost}
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

// Ready reports whether the connection to NATS is up.
func (b *Bus) Ready(context.Context) error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("nats: %s", strings.ToLower(st.String()))
	}
	return nil
}

// Stats returns the counters.
func (b *Bus) Stats() Stats {
	return Stats{Published: b.published.Load(), PublishFailures: b.publishFailures.Load(), Received: b.received.Load(), Malformed: b.malformed.Load()}
}

// receive hands an entry from another instance to the subscribers.
func (b *Bus) receive(m *nats.Msg) {
	e, err := decode(m.Data)
	if err != nil || b.prefix+"."+e.WorkspaceID != m.Subject {
		b.malformed.Add(1)
		b.log.Warn("nats: dropped a malformed message", slog.String("subject", m.Subject), slog.Any("error", err))
		return
	}
	b.received.Add(1)
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.subs {
		s.deliver(e)
	}
}

// revocation is a revoked token generation on the wire.
type revocation struct {
	V          int    `json:"v"`
	UserID     string `json:"userId"`
	Generation int64  `json:"generation"`
}

// revocationSubject has one more token than the entries' <prefix>.<workspaceId>, so the entry
// subscription (<prefix>.*) never sees it.
func (b *Bus) revocationSubject() string { return b.prefix + ".users.revoked" }

// AnnounceRevocation tells the other instances that every token of userID below generation is
// void. It never waits on NATS; a failure is logged.
func (b *Bus) AnnounceRevocation(userID string, generation int64) {
	data, err := json.Marshal(revocation{V: messageVersion, UserID: userID, Generation: generation})
	if err == nil {
		err = b.nc.Publish(b.revocationSubject(), data)
	}
	if err != nil {
		b.log.Warn("nats: announce a token revocation", slog.String("user_id", userID), slog.Any("error", err))
	}
}

// OnRevocation registers f to be told of the revocations other instances announce.
func (b *Bus) OnRevocation(f func(userID string, generation int64)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.revokes = append(b.revokes, f)
}

func (b *Bus) receiveRevocation(m *nats.Msg) {
	var r revocation
	if err := json.Unmarshal(m.Data, &r); err != nil || r.V != messageVersion || r.UserID == "" || r.Generation <= 0 {
		b.malformed.Add(1)
		b.log.Warn("nats: dropped a malformed revocation", slog.Any("error", err))
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, f := range b.revokes {
		f(r.UserID, r.Generation)
	}
}

func (b *Bus) lostAll() {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.subs {
		s.lost()
	}
}

// watch tells subscribers to re-read the log every poll interval while NATS is unreachable,
// so clients keep receiving changes made through other instances, a little late, and every
// SweepEvery while it is up.
func (b *Bus) watch(poll time.Duration) {
	defer b.done.Done()
	t := time.NewTicker(poll)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-b.stop:
			return
		case now := <-t.C:
			if !b.nc.IsConnected() || now.Sub(last) >= SweepEvery {
				last = now
				b.lostAll()
			}
		}
	}
}

// message is an entry on the wire; v lets a later format coexist during a rolling deploy.
type message struct {
	V           int            `json:"v"`
	ID          string         `json:"id"`
	WorkspaceID string         `json:"workspaceId"`
	Seq         int64          `json:"seq"`
	Action      string         `json:"action"`
	Event       events.Name    `json:"event"`
	TargetType  string         `json:"targetType"`
	TargetID    string         `json:"targetId"`
	ActorID     string         `json:"actorId,omitempty"`
	At          time.Time      `json:"at"`
	Data        map[string]any `json:"data,omitempty"`
	Trace       string         `json:"trace,omitempty"` // the append's W3C traceparent
}

const messageVersion = 1

func toMessage(e auditlog.Entry) message {
	return message{V: messageVersion, ID: e.ID, WorkspaceID: e.WorkspaceID, Seq: e.Seq, Action: e.Action, Event: e.Event,
		TargetType: e.TargetType, TargetID: e.TargetID, ActorID: e.ActorID, At: e.At, Data: e.Data, Trace: e.Trace}
}

// decode reads a message; numbers in data stay json.Number so that they re-encode exactly.
func decode(b []byte) (auditlog.Entry, error) {
	var m message
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return auditlog.Entry{}, err
	}
	if _, known := events.ActionOf(m.Event); m.V != messageVersion || m.WorkspaceID == "" || m.Seq <= 0 || !known {
		return auditlog.Entry{}, fmt.Errorf("unsupported message (v=%d, seq=%d)", m.V, m.Seq)
	}
	return auditlog.Entry{ID: m.ID, WorkspaceID: m.WorkspaceID, Seq: m.Seq, Action: m.Action, Event: m.Event,
		TargetType: m.TargetType, TargetID: m.TargetID, ActorID: m.ActorID, At: m.At, Data: m.Data, Trace: m.Trace}, nil
}
