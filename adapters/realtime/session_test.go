package realtime

// testTransport is a transport a test drives itself: wake runs onWake, which drains the outbox
// (or nothing does).
type testTransport struct{ onWake func() }

func (t *testTransport) wake() {
	if t.onWake != nil {
		t.onWake()
	}
}

func (t *testTransport) unidirectional() bool { return false }

// newTestSession returns a WebSocket-like session with no transport attached yet.
func newTestSession(h *Hub, id string) *session { return newSession(h, id, &testTransport{}) }

// attachWriter attaches a transport whose wake runs start (which must not block).
func (s *session) attachWriter(start func()) { s.out.attach(&testTransport{onWake: start}) }

// next and enqueue reach the outbox, as a writer and the hub do.
func (s *session) next() (frame, bool, bool, int, string) { return s.out.next() }
func (s *session) enqueue(f frame) bool                   { return s.out.enqueue(f) }
