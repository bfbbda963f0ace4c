// Package natstest runs a real NATS server inside the test process, on a loopback port, that
// a test can stop and start again on the same port (an outage, then recovery).
package natstest

import (
	"fmt"
	"net"
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

// Start runs a server on a free loopback port.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, port: server.RANDOM_PORT}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
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
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true, MaxPayload: 1 << 20})
	if err != nil {
		s.t.Fatalf("natstest: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("natstest: the NATS server did not start in 10s")
	}
	s.srv = srv
	if tcp, ok := srv.Addr().(*net.TCPAddr); ok {
		s.port = tcp.Port // the port RANDOM_PORT picked, kept for Restart
	}
}
