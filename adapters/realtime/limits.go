package realtime

import (
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/observe"
)

// Options configures the realtime layer. Zero fields take the defaults below.
type Options struct {
	// AllowedOrigins are the browser origins (scheme://host[:port]) whose WebSocket handshakes
	// are accepted; a handshake without an Origin header (not a browser) is always accepted.
	AllowedOrigins []string
	// PingInterval is how often the server pings (WebSocket) or writes a comment line (SSE); a
	// WebSocket peer that does not answer a ping within the next interval is dropped.
	PingInterval time.Duration
	// AuthTimeout is how long a WebSocket may stay unauthenticated (then 4001).
	AuthTimeout time.Duration
	// WriteTimeout bounds one batch of writes to a peer; a peer that accepts nothing for this
	// long is dropped.
	WriteTimeout time.Duration
	// QueueSize is the per-connection outgoing queue, in frames. A live frame that finds it full
	// waits for room while the connection's writer is making progress (the server is behind:
	// whoever produces the changes slows down to what the sockets take), for at most LiveWait;
	// a writer stuck in a socket write for StuckWrite (the peer stopped reading), or the end of
	// LiveWait, closes the connection with 4008.
	QueueSize int
	// LiveWait bounds how long one live frame waits for room in a full queue.
	LiveWait time.Duration
	// StuckWrite is how long a socket write may take before the peer counts as not reading.
	StuckWrite time.Duration
	// SendBuffer is the kernel send buffer of each connection, in bytes (the kernel may double
	// it): it bounds the memory a connection holds outside the queue, and how much a peer that
	// stopped reading absorbs before its queue fills.
	SendBuffer int
	// ReadLimit is the largest client frame in bytes (above: close 1009).
	ReadLimit int64
	// MaxJoins is how many workspaces one connection may be in at once.
	MaxJoins int
	// MaxConnsPerUser is how many WebSocket connections and SSE streams one user may hold.
	MaxConnsPerUser int
	// FrameRate and FrameBurst are the token bucket of client frames per connection: FrameRate
	// per second on average, bursts of FrameBurst; exceeding it closes 4008.
	FrameRate  float64
	FrameBurst int
	// ReplayLimit is the most entries a join replays; a longer gap gets resync instead.
	ReplayLimit int
	// FillWait is how long the hub waits for a missing seq before reading it from the log.
	FillWait time.Duration
	// TicketTTL is how long an SSE ticket stays valid; MaxTickets bounds the used, unexpired
	// tickets the in-memory Redemptions remembers.
	TicketTTL  time.Duration
	MaxTickets int
	// Log receives the layer's warnings.
	Log *slog.Logger
	// Metrics receive the layer's counts; Tracer opens a span for each delivery of an entry that
	// carries a trace (nil: none).
	Metrics Metrics
	Tracer  observe.Tracer
	// Clock tells protocol time and runs its timers (auth deadline, token expiry, gap fill,
	// ticket and revocation lifetimes); nil: the system clock. Socket deadlines and the waits
	// on a writer's progress are wall-clock time whatever it is.
	Clock clock.Timers
}

// The defaults.
const (
	DefaultPingInterval    = 25 * time.Second
	DefaultAuthTimeout     = 10 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultQueueSize       = 256
	DefaultLiveWait        = 2 * time.Second
	DefaultStuckWrite      = 500 * time.Millisecond
	DefaultSendBuffer      = 64 << 10
	DefaultReadLimit       = 16 << 10
	DefaultMaxJoins        = 100
	DefaultMaxConnsPerUser = 20
	DefaultFrameRate       = 20
	DefaultFrameBurst      = 40
	DefaultReplayLimit     = 1000
	DefaultFillWait        = 200 * time.Millisecond
	DefaultTicketTTL       = 30 * time.Second
	DefaultMaxTickets      = 10000
)

// replayPage is how many entries one read of the log returns during replay and gap filling.
const replayPage = 200

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	def(&o.PingInterval, DefaultPingInterval)
	def(&o.AuthTimeout, DefaultAuthTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.FillWait, DefaultFillWait)
	def(&o.LiveWait, DefaultLiveWait)
	def(&o.StuckWrite, DefaultStuckWrite)
	def(&o.TicketTTL, DefaultTicketTTL)
	defInt(&o.QueueSize, DefaultQueueSize)
	defInt(&o.SendBuffer, DefaultSendBuffer)
	defInt(&o.MaxJoins, DefaultMaxJoins)
	defInt(&o.MaxConnsPerUser, DefaultMaxConnsPerUser)
	defInt(&o.FrameBurst, DefaultFrameBurst)
	defInt(&o.ReplayLimit, DefaultReplayLimit)
	defInt(&o.MaxTickets, DefaultMaxTickets)
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.FrameRate <= 0 {
		o.FrameRate = DefaultFrameRate
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Tracer == nil {
		o.Tracer = observe.NoTracer{}
	}
	o.Metrics = o.Metrics.withDefaults()
	return o
}

// bucket is a token bucket: burst tokens, refilled at rate per second. It is used by one
// goroutine (a connection's reader) and needs no lock.
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) bucket {
	return bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token at now, reporting false when none is left.
func (b *bucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
