// Package natstest runs a real NATS server inside the test process, on a loopback port, that
// a test can stop and start again on the same port (an outage, then recovery).
package natstest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a NATS server for one test; it is shut down when the test ends.
type Server struct {
	t    testing.TB
	port int
	srv  *server.Server
}

// Start runs a server on a free loopback port below the kernel's ephemeral range (32768 and
// up on Linux), so that no outgoing connection takes the port while the server is stopped.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t}
	for range 50 {
		s.port = 20000 + rand.IntN(12000)
		if s.start() == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatal("natstest: no free port for the NATS server")
	return nil
}

// URL is the server's client URL, stable across restarts.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// Stop shuts the server down (clients see the connection drop); stopping twice is harmless.
func (s *Server) Stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart starts the server again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("natstest: restart on port %d: %v", s.port, err)
	}
}

func (s *Server) start() error {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true, MaxPayload: 1 << 20})
	if err != nil {
		return err
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return errors.New("not accepting connections after 10 s (port taken?)")
	}
	s.srv = srv
	return nil
}
