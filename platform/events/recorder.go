package events

import (
	"context"
	"sync"
)

// Recorder is a Publisher that keeps every event in memory, for tests that assert on them.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Publish records e.
func (r *Recorder) Publish(_ context.Context, e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns a copy of what was published so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Names returns the names of what was published so far, in order.
func (r *Recorder) Names() []Name {
	var names []Name
	for _, e := range r.Events() {
		names = append(names, e.Name)
	}
	return names
}
