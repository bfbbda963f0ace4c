package realtime

import (
	"time"

	"github.com/workspaceops/workspaceops/platform/observe"
)

// Metrics receive the layer's counts (cmd/workspaceops binds them to Prometheus: pre-resolved
// counters and a histogram, so counting a delivery is an atomic add, with no lookup or
// allocation). Nil fields count nothing.
type Metrics struct {
	// WebSocketDeliveries and SSEDeliveries count event frames written to clients.
	WebSocketDeliveries, SSEDeliveries observe.Counter
	// DeliveryLag observes, in seconds, the time from a live entry's audit time to its frame
	// being written to a client.
	DeliveryLag observe.Histogram
	// QueueFull counts connections closed because their outgoing queue was full (4008).
	QueueFull observe.Counter
	// Closed is told the code of every close the server decides (1000 for a normal end), when
	// it decides it: a peer that stopped reading may never receive it (nil: not told).
	Closed func(code int)
	// ResumedFromMemory, ResumedFromLog and Resynced count joins with since by how they caught
	// up: the room's recent frames, the audit log, or a resync.
	ResumedFromMemory, ResumedFromLog, Resynced observe.Counter
	// CatchUps counts the rooms' re-reads of the log after the bus may have lost entries.
	CatchUps observe.Counter
}

func (m Metrics) withDefaults() Metrics {
	for _, c := range []*observe.Counter{&m.WebSocketDeliveries, &m.SSEDeliveries, &m.QueueFull,
		&m.ResumedFromMemory, &m.ResumedFromLog, &m.Resynced, &m.CatchUps} {
		if *c == nil {
			*c = observe.Nop{}
		}
	}
	if m.DeliveryLag == nil {
		m.DeliveryLag = observe.Nop{}
	}
	if m.Closed == nil {
		m.Closed = func(int) {}
	}
	return m
}

// written counts the event frames just written to a client through deliveries, and observes
// the lag of the live ones (with one reading of the clock per write).
func (m *Metrics) written(frames []frame, deliveries observe.Counter) {
	n, now := 0, int64(0)
	for i := range frames {
		f := &frames[i]
		if f.seq == 0 {
			continue
		}
		n++
		if f.at != 0 {
			if now == 0 {
				now = time.Now().UnixNano()
			}
			m.DeliveryLag.Observe(float64(now-f.at) / 1e9)
		}
	}
	if n > 0 {
		deliveries.Add(float64(n))
	}
}
