package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestRealtimeDeadPeerIsDropped: a client that stops answering pings (it never reads, so its
// WebSocket library never pongs) is dropped by the heartbeat, which frees its slot: with one
// connection allowed per user, a new connection is accepted once the dead one is gone.
func TestRealtimeDeadPeerIsDropped(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_WS_PING_INTERVAL": "200ms", "WSO_WS_MAX_CONNS_PER_USER": "1"})
	u := s.register(t, "sleepy@example.com")
	s.live(t, u) // authenticated, then never read again

	deadline := time.Now().Add(rtWait)
	for {
		c := s.dialWS(t, nil)
		c.send(map[string]any{"type": "auth", "token": u.token})
		m, err := c.read()
		if err == nil && m["type"] == "ready" {
			return // the dead connection was dropped and its slot freed
		}
		if code := websocket.CloseStatus(err); err != nil && code != 4008 {
			t.Fatalf("second connection: %v (close %d), want ready or 4008 while the first is alive", err, code)
		}
		if time.Now().After(deadline) {
			t.Fatal("the silent peer was never dropped: its slot is still taken")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRealtimeShutdownClosesGoingAway: on SIGTERM the server drains REST, then closes every
// socket with 1001 (going away) within the drain period, and the process exits cleanly.
func TestRealtimeShutdownClosesGoingAway(t *testing.T) {
	addr := freeAddr(t)
	env := withStore(t, map[string]string{
		"WSO_ADDR": addr, "JWT_SECRET": testSecret, "WSO_LOG_LEVEL": "warn", "WSO_WS_DRAIN": "500ms", "WSO_RATE_LIMIT": "off",
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exited := make(chan int, 1)
	var logs syncBuffer
	go func() { exited <- run(ctx, nil, func(k string) string { return env[k] }, &logs) }()
	s := &server{base: "http://" + addr, t: t}
	waitHealthy(t, s, exited, &logs)

	wid, _, member, viewer := s.team(t)
	var clients []*rtClient
	for _, u := range []user{member, viewer, member} {
		c := s.live(t, u)
		c.join(wid, nil)
		clients = append(clients, c)
	}
	stop() // what SIGTERM does
	for i, c := range clients {
		if code := c.closeCode(); code != websocket.StatusGoingAway {
			t.Errorf("client %d closed with %d, want 1001", i, code)
		}
	}
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d; logs:\n%s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit within 30 s of its signal")
	}
}

func waitHealthy(t *testing.T, s *server, exited chan int, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r, err := httpGet(s.base + "/healthz"); err == nil && r == 200 {
			return
		}
		select {
		case code := <-exited:
			t.Fatalf("server exited with %d before serving; logs:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy in 30s; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
