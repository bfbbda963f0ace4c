package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
)

// wsServer is a scripted WebSocket server on loopback.
type wsServer struct{ *httptest.Server }

func (s wsServer) URL() *url.URL {
	u, err := url.Parse(s.Server.URL)
	if err != nil {
		panic(err)
	}
	return u
}

// scriptedWS serves one script per WebSocket accepted at a request accept admits (else 404):
// expect reads the next message and reports an error when it is not want; send writes one.
// The server closes with the test.
func scriptedWS(t *testing.T, ctx context.Context, accept func(*http.Request) bool,
	script func(c *websocket.Conn, expect func(want string) bool, send func(string))) wsServer {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accept(r) {
			http.NotFound(w, r)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		expect := func(want string) bool {
			_, b, err := c.Read(ctx)
			if err != nil || string(b) != want {
				t.Errorf("server read %q (%v), want %q", b, err, want)
				return false
			}
			return true
		}
		script(c, expect, func(s string) { _ = c.Write(ctx, websocket.MessageText, []byte(s)) })
	}))
	t.Cleanup(srv.Close)
	return wsServer{srv}
}

func TestParseCFLine(t *testing.T) {
	frame := `{"type":"event","workspaceId":"w1","seq":3,"event":"work-item:status-changed","data":{"targetId":"i1","status":"DONE"}}`
	tests := []struct {
		in   string
		want cfPacket
	}{
		{`{}`, cfPacket{ping: true}},
		// The fast path: a publication as Centrifugo writes it without history.
		{`{"push":{"channel":"workspace:w1","pub":{"data":` + frame + `}}}`, cfPacket{channel: "workspace:w1", pub: []byte(frame)}},
		// Decoded: with an offset, or fields in another order.
		{`{"push":{"channel":"workspace:w1","pub":{"data":{"seq":1},"offset":4}}}`, cfPacket{channel: "workspace:w1", pub: []byte(`{"seq":1}`)}},
		{`{"push":{"pub":{"data":{"seq":2}},"channel":"workspace:w2"}}`, cfPacket{channel: "workspace:w2", pub: []byte(`{"seq":2}`)}},
		{`{"push":{"channel":"a\"b","pub":{"data":{"seq":2}}}}`, cfPacket{channel: `a"b`, pub: []byte(`{"seq":2}`)}},
		{`{"id":1,"connect":{"client":"c1","version":"6.9.1","ping":25,"pong":true}}`,
			cfPacket{id: 1, result: json.RawMessage(`{"client":"c1","version":"6.9.1","ping":25,"pong":true}`)}},
		{`{"id":2,"subscribe":{}}`, cfPacket{id: 2, result: json.RawMessage(`{}`)}},
		{`{"id":2,"error":{"code":103,"message":"permission denied"}}`, cfPacket{id: 2, err: "103: permission denied"}},
		{`{"push":{"disconnect":{"code":3001,"reason":"shutdown"}}}`, cfPacket{disconnect: "3001: shutdown"}},
		{`{"push":{"channel":"workspace:w1","join":{"info":{}}}}`, cfPacket{channel: "workspace:w1"}},
	}
	for _, tt := range tests {
		got, err := parseCFLine([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got.ping != tt.want.ping || got.id != tt.want.id || got.err != tt.want.err || got.channel != tt.want.channel ||
			string(got.pub) != string(tt.want.pub) || got.disconnect != tt.want.disconnect || string(got.result) != string(tt.want.result) {
			t.Errorf("%s: got %+v (pub %s), want %+v (pub %s)", tt.in, got, got.pub, tt.want, tt.want.pub)
		}
	}
	for _, bad := range []string{``, `{`, `[]`, `{"push":{"channel":"x","pub":{"data":{"seq":1}}}`} {
		if p, err := parseCFLine([]byte(bad)); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", bad, p)
		}
	}
}

// TestOpenCF runs the client against a scripted Centrifugo: connect with the token, subscribe
// to the workspace's channel, replies and pushes batched in one message, newline-delimited, a
// ping the client must answer, a publication of another channel it must skip, then a close.
func TestOpenCF(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := scriptedWS(t, ctx, func(r *http.Request) bool { return r.URL.Path == "/connection/websocket" },
		func(c *websocket.Conn, expect func(string) bool, send func(string)) {
			if !expect(`{"id":1,"connect":{"token":"tok"}}`) {
				return
			}
			send(`{"id":1,"connect":{"client":"c1","version":"6.9.1","ping":25,"pong":true}}`)
			if !expect(`{"id":2,"subscribe":{"channel":"workspace:w1"}}`) {
				return
			}
			send(`{"id":2,"subscribe":{}}` + "\n" + `{"push":{"channel":"workspace:other","pub":{"data":{"type":"event","seq":99}}}}`)
			send(`{}`)
			if !expect(`{}`) {
				return
			}
			send(`{"push":{"channel":"workspace:w1","pub":{"data":{"type":"event","workspaceId":"w1","seq":1,"event":"work-item:status-changed","data":{"targetId":"i1"}}}}}` +
				"\n" + `{"push":{"channel":"workspace:w1","pub":{"data":{"type":"event","workspaceId":"w1","seq":2,"event":"work-item:status-changed","data":{"targetId":"i2"}},"offset":2}}}`)
			_ = c.Close(websocket.StatusCode(3001), "shutdown")
		})
	c, err := newDialer(false).openCF(ctx, newAPI(srv.URL(), 1), &user{token: "tok"}, "w1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close(false)
	for i, want := range []string{"i1", "i2"} {
		b, err := c.next()
		if err != nil {
			t.Fatal(err)
		}
		if f := parseFrame(b); f.typ != "event" || f.seq != int64(i+1) || f.event != "work-item:status-changed" || f.targetID != want {
			t.Errorf("publication %d read as %+v from %s", i+1, f, b)
		}
	}
	if _, err := c.next(); closeCode(err) != 3001 {
		t.Errorf("after the close: %v (code %d), want code 3001", err, closeCode(err))
	}

	refuse := scriptedWS(t, ctx, func(*http.Request) bool { return true },
		func(c *websocket.Conn, expect func(string) bool, send func(string)) {
			if expect(`{"id":1,"connect":{"token":"bad"}}`) {
				send(`{"id":1,"error":{"code":101,"message":"unauthorized"}}`)
				_, _, _ = c.Read(ctx)
			}
		})
	var je *joinError
	if _, err := newDialer(false).openCF(ctx, newAPI(refuse.URL(), 1), &user{token: "bad"}, "w1"); !errors.As(err, &je) ||
		!strings.Contains(err.Error(), "101: unauthorized") {
		t.Errorf("a refused connect: %v, want a joinError with 101", err)
	}
}

// TestCFBackend checks the tokens (HS256, sub = the user id) and that changes are publications
// through the HTTP API with the key, numbered per workspace in order, made one at a time; a
// refused publish leaves no gap.
func TestCFBackend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	secret := []byte(strings.Repeat("k", 32))
	var (
		mu       sync.Mutex
		inFlight int
		got      []map[string]any
		rawData  []json.RawMessage // as sent
		refuse   bool
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/publish" || r.Method != http.MethodPost || r.Header.Get("X-API-Key") != "key" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		inFlight++
		if inFlight > 1 {
			t.Error("two publishes at once")
		}
		no := refuse
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		var raw struct{ Data json.RawMessage }
		if err := json.Unmarshal(b, &body); err != nil || json.Unmarshal(b, &raw) != nil {
			t.Errorf("body %s: %v", b, err)
		}
		mu.Lock()
		inFlight--
		if !no {
			got, rawData = append(got, body), append(rawData, raw.Data)
		}
		mu.Unlock()
		if no {
			_, _ = w.Write([]byte(`{"error":{"code":102,"message":"unknown channel"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"result":{}}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	s := newCFBackend(newAPI(u, 4), secret, "key", time.Hour, "r1")
	usr, err := s.register(ctx, "a@x")
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.RegisteredClaims
	if _, err := jwt.ParseWithClaims(usr.token, &claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"})); err != nil || claims.Subject != usr.id || usr.id == "" {
		t.Errorf("token %s: %v, sub %q for user %q", usr.token, err, claims.Subject, usr.id)
	}
	wid, _ := s.createWorkspace(ctx, usr.token, "w")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := s.setStatus(ctx, usr.token, wid, "item", "DONE"); err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if h, _ := s.head(ctx, usr.token, wid); h != 8 || len(got) != 8 {
		t.Fatalf("head %d after %d publishes, want 8", h, len(got))
	}
	if f := parseFrame(rawData[0]); f.typ != "event" || f.seq != 1 || f.event != "work-item:status-changed" || f.targetID != "item" {
		t.Errorf("the first publication's data reads as %+v", f)
	}
	for i, body := range got {
		data, _ := body["data"].(map[string]any)
		if body["channel"] != "workspace:"+wid || data["type"] != "event" || data["workspaceId"] != wid ||
			data["seq"] != float64(i+1) || data["event"] != "work-item:status-changed" {
			t.Errorf("publish %d: %v", i, body)
		}
	}
	mu.Lock()
	refuse = true
	mu.Unlock()
	if err := s.setStatus(ctx, usr.token, wid, "item", "DONE"); err == nil || !strings.Contains(err.Error(), "102") {
		t.Errorf("a refused publish: %v", err)
	}
	if h, _ := s.head(ctx, usr.token, wid); h != 8 {
		t.Errorf("head %d after a refused publish, want 8", h)
	}
	if h, _ := s.head(ctx, usr.token, "other"); h != 0 {
		t.Errorf("head of an untouched workspace: %d", h)
	}
}

func TestCentrifugoTargetFlags(t *testing.T) {
	var sb strings.Builder
	t.Setenv("JWT_SECRET", strings.Repeat("s", 32))
	t.Setenv("CF_API_KEY", "")
	if _, err := parseFlags([]string{"-target", "centrifugo", "-workloads", "idle"}, &sb); err == nil {
		t.Error("-target centrifugo accepted without $CF_API_KEY")
	}
	t.Setenv("CF_API_KEY", "key")
	for _, w := range []string{"churn", "rest", "saturate-sse"} {
		if _, err := parseFlags([]string{"-target", "centrifugo", "-workloads", w}, &sb); err == nil {
			t.Errorf("-target centrifugo accepted workload %s", w)
		}
	}
	c, err := parseFlags([]string{"-target", "centrifugo", "-workloads", "idle,fanout,saturate"}, &sb)
	if err != nil || string(c.refSecret) != strings.Repeat("s", 32) || c.cfAPIKey != "key" {
		t.Errorf("config = %+v, %v", c, err)
	}
	if b := newBench(c, io.Discard); b.apis[0].readyPath != "/health" {
		t.Errorf("ready path %q, want /health", b.apis[0].readyPath)
	}
	t.Setenv("JWT_SECRET", "short")
	if _, err := parseFlags([]string{"-target", "centrifugo", "-workloads", "idle"}, &sb); err == nil {
		t.Error("-target centrifugo accepted a short $JWT_SECRET")
	}
}

func TestObjectLen(t *testing.T) {
	for in, want := range map[string]int{
		`{}`: 2, `{"a":1}`: 7, `{"a":"}"}`: 9, `{"a":"\"}"}`: 11, `{"a":[{}]},"b":2`: 10, `{"a":{}`: 0, `[]`: 0, ``: 0, `{"a":"\\"}x`: 10,
	} {
		if got := objectLen([]byte(in)); got != want {
			t.Errorf("objectLen(%s) = %d, want %d", in, got, want)
		}
	}
}
