package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A batched message (several frames, newline-separated) is read frame by frame, in order, and
// an unbatched one as one frame.
func TestWSConnSplitsBatchedMessages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx := context.Background()
		_ = c.Write(ctx, websocket.MessageText, []byte(`{"seq":1}`+"\n"+`{"seq":2}`+"\n"+`{"seq":3}`))
		_ = c.Write(ctx, websocket.MessageText, []byte(`{"seq":4}`))
		_, _, _ = c.Read(ctx) // until the client goes
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	w := &wsConn{c: c}
	var got []string
	for range 4 {
		b, err := w.nextCtx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if strings.Join(got, " ") != `{"seq":1} {"seq":2} {"seq":3} {"seq":4}` {
		t.Fatalf("frames %q", got)
	}
}
