package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestParseSIOPacket(t *testing.T) {
	tests := []struct {
		in   string
		want sioPacket
	}{
		{`0{"sid":"a","pingInterval":25000}`, sioPacket{eio: eioOpen, nsp: "/", ack: -1, data: []byte(`{"sid":"a","pingInterval":25000}`)}},
		{`2`, sioPacket{eio: eioPing, nsp: "/", ack: -1, data: []byte{}}},
		{`40{"sid":"b"}`, sioPacket{eio: eioMessage, typ: sioConnect, nsp: "/", ack: -1, data: []byte(`{"sid":"b"}`)}},
		{`44{"message":"unauthorized"}`, sioPacket{eio: eioMessage, typ: sioConnectError, nsp: "/", ack: -1, data: []byte(`{"message":"unauthorized"}`)}},
		{`430[{"seq":7}]`, sioPacket{eio: eioMessage, typ: sioAck, nsp: "/", ack: 0, data: []byte(`[{"seq":7}]`)}},
		{`42["event",{"seq":1}]`, sioPacket{eio: eioMessage, typ: sioEvent, nsp: "/", ack: -1, data: []byte(`["event",{"seq":1}]`)}},
		{`42/admin,12["x"]`, sioPacket{eio: eioMessage, typ: sioEvent, nsp: "/admin", ack: 12, data: []byte(`["x"]`)}},
		{`41/admin`, sioPacket{eio: eioMessage, typ: sioDisconnect, nsp: "/admin", ack: -1, data: []byte{}}},
		{`41`, sioPacket{eio: eioMessage, typ: sioDisconnect, nsp: "/", ack: -1, data: []byte{}}},
	}
	for _, tt := range tests {
		got, err := parseSIOPacket([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got.eio != tt.want.eio || got.typ != tt.want.typ || got.nsp != tt.want.nsp || got.ack != tt.want.ack ||
			string(got.data) != string(tt.want.data) {
			t.Errorf("%s: got %+v (data %q), want %+v (data %q)", tt.in, got, got.data, tt.want, tt.want.data)
		}
	}
	for _, bad := range []string{``, `9`, `4`, `4x`, `451-["e",{"_placeholder":true,"num":0}]`, `499999999999999999999["e"]`} {
		if p, err := parseSIOPacket([]byte(bad)); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", bad, p)
		}
	}
}

func TestEncodeSIOMessage(t *testing.T) {
	for _, tt := range []struct {
		typ  byte
		ack  int64
		data string
		want string
	}{
		{sioConnect, -1, `{"token":"t"}`, `40{"token":"t"}`},
		{sioEvent, 0, `["join","w1"]`, `420["join","w1"]`},
		{sioEvent, 42, `["x"]`, `4242["x"]`},
		{sioDisconnect, -1, ``, `41`},
	} {
		got := string(encodeSIOMessage(tt.typ, tt.ack, []byte(tt.data)))
		if got != tt.want {
			t.Errorf("encode(%c, %d, %s) = %s, want %s", tt.typ, tt.ack, tt.data, got, tt.want)
		}
		p, err := parseSIOPacket([]byte(got))
		if err != nil || p.typ != tt.typ || p.ack != tt.ack || string(p.data) != tt.data {
			t.Errorf("%s does not decode back: %+v, %v", got, p, err)
		}
	}
}

func TestSIOEventArg(t *testing.T) {
	arg, ok := sioEventArg([]byte(`["event",{"type":"event","seq":3}]`), "event")
	if !ok || string(arg) != `{"type":"event","seq":3}` {
		t.Errorf("got %q, %v", arg, ok)
	}
	for _, other := range []string{`["other",{}]`, `["event"]`, `[]`, `["event",{}`} {
		if arg, ok := sioEventArg([]byte(other), "event"); ok {
			t.Errorf("%s: got %q, want no event", other, arg)
		}
	}
}

// TestOpenSIO runs the client against a scripted server: handshake, connect with the token,
// join acked with the room's seq, then a ping the client must answer before the event.
func TestOpenSIO(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := scriptedWS(t, ctx, func(r *http.Request) bool {
		return r.URL.Path == "/socket.io/" && r.URL.Query().Get("EIO") == "4" && r.URL.Query().Get("transport") == "websocket"
	}, func(c *websocket.Conn, expect func(string) bool, send func(string)) {
		send(`0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
		if !expect(`40{"token":"tok"}`) {
			return
		}
		send(`40{"sid":"n1"}`)
		if !expect(`420["join","w1"]`) {
			return
		}
		send(`42["other",1]`)
		send(`430[{"seq":5}]`)
		send(`2`)
		if !expect(`3`) {
			return
		}
		send(`42["event",{"type":"event","workspaceId":"w1","seq":6,"event":"work-item:status-changed","data":{"targetId":"i1"}}]`)
		send(`41`)
		_, _, _ = c.Read(ctx)
	})
	u := srv.URL()
	c, seq, err := newDialer(false).openSIO(ctx, newAPI(u, 1), &user{token: "tok"}, "w1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close(false)
	if seq != 5 {
		t.Errorf("joined at seq %d, want 5", seq)
	}
	b, err := c.next()
	if err != nil {
		t.Fatal(err)
	}
	if f := parseFrame(b); f.typ != "event" || f.seq != 6 || f.event != "work-item:status-changed" || f.targetID != "i1" {
		t.Errorf("event read as %+v from %s", f, b)
	}
	if _, err := c.next(); !errors.Is(err, errSIOClosed) {
		t.Errorf("after the disconnect: %v, want errSIOClosed", err)
	}
	if _, _, err := newDialer(false).openSIO(ctx, newAPI(u.JoinPath("nowhere"), 1), &user{token: "tok"}, "w1"); err == nil ||
		!strings.Contains(err.Error(), "404") {
		t.Errorf("a server without socket.io: %v, want a 404", err)
	}
}

func TestSocketIOTargetFlags(t *testing.T) {
	var sb strings.Builder
	t.Setenv("JWT_SECRET", "")
	if _, err := parseFlags([]string{"-target", "socketio", "-workloads", "idle"}, &sb); err == nil {
		t.Error("-target socketio accepted without $JWT_SECRET")
	}
	t.Setenv("JWT_SECRET", strings.Repeat("s", 32))
	for _, w := range []string{"churn", "rest", "fanout-sse"} {
		if _, err := parseFlags([]string{"-target", "socketio", "-workloads", w}, &sb); err == nil {
			t.Errorf("-target socketio accepted workload %s", w)
		}
	}
	if _, err := parseFlags([]string{"-target", "nats"}, &sb); err == nil {
		t.Error("unknown target accepted")
	}
	c, err := parseFlags([]string{"-target", "socketio", "-workloads", "idle,fanout,saturate"}, &sb)
	if err != nil || string(c.refSecret) != strings.Repeat("s", 32) {
		t.Errorf("config = %+v, %v", c, err)
	}
}
