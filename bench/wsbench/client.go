package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// conn is one realtime connection, authenticated and joined to one workspace: a WebSocket
// speaking protocol v1, or an SSE stream.
type conn interface {
	// next returns the next server frame; the bytes are valid until the next call.
	next() ([]byte, error)
	// close ends the connection: a close handshake (1000) when graceful, else the socket is
	// dropped.
	close(graceful bool)
}

// dialer opens realtime connections.
type dialer struct {
	hc    *http.Client // for handshakes and SSE streams
	batch bool         // v1 WebSockets ask for batched messages
}

func newDialer(batch bool) *dialer {
	tr := &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		DisableKeepAlives: true, // every handshake or stream is its own connection
	}
	return &dialer{hc: &http.Client{Transport: tr}, batch: batch}
}

// joinError is a join the server refused (an error frame), or a close before joined.
type joinError struct{ msg string }

func (e *joinError) Error() string { return e.msg }

// openWS dials base's /ws, authenticates with an auth frame, joins wid (with since when >= 0)
// and returns the connection and the joined frame's seq.
func (d *dialer) openWS(ctx context.Context, a *api, u *user, wid string, since int64) (conn, int64, error) {
	w, err := d.dialWS(ctx, a, "/ws")
	if err != nil {
		return nil, 0, err
	}
	c := w.c
	fail := func(err error) (conn, int64, error) {
		c.CloseNow()
		return nil, 0, err
	}
	auth := `{"type":"auth","token":"` + u.token + `"`
	if d.batch {
		auth += `,"batch":true`
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(auth+"}")); err != nil {
		return fail(err)
	}
	b, err := w.nextCtx(ctx)
	if err != nil {
		return fail(fmt.Errorf("auth: %w", err))
	}
	if f := parseFrame(b); f.typ != "ready" {
		return fail(&joinError{"auth answered " + string(b)})
	}
	join := `{"type":"join","workspaceId":"` + wid + `"`
	if since >= 0 {
		join += `,"since":` + strconv.FormatInt(since, 10)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(join+"}")); err != nil {
		return fail(err)
	}
	for {
		b, err := w.nextCtx(ctx)
		if err != nil {
			return fail(fmt.Errorf("join: %w", err))
		}
		switch f := parseFrame(b); f.typ {
		case "joined":
			return w, f.seq, nil
		case "error":
			return fail(&joinError{"join answered " + string(b)})
		}
		// A user-room event can come first; the workspace's frames only follow joined.
	}
}

// dialWS opens a WebSocket to path (with its query) on a's server, uncompressed.
func (d *dialer) dialWS(ctx context.Context, a *api, path string) (*wsConn, error) {
	wsURL := "ws" + strings.TrimPrefix(a.base, "http") + path
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: d.hc, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	return &wsConn{c: c}, nil
}

type wsConn struct {
	c    *websocket.Conn
	buf  bytes.Buffer
	rest []byte // the frames of the current message not returned yet (a batched message)
}

func (w *wsConn) next() ([]byte, error) { return w.nextCtx(context.Background()) }

// nextCtx returns the next frame: the next line of the current message (a batched message holds
// several, newline-separated), else of the next message read.
func (w *wsConn) nextCtx(ctx context.Context) ([]byte, error) {
	if len(w.rest) == 0 {
		_, r, err := w.c.Reader(ctx)
		if err != nil {
			return nil, err
		}
		w.buf.Reset()
		if _, err := w.buf.ReadFrom(r); err != nil {
			return nil, err
		}
		w.rest = w.buf.Bytes()
	}
	f, rest, _ := bytes.Cut(w.rest, []byte{'\n'})
	w.rest = rest
	return f, nil
}

// writeText sends b as one text message.
func (w *wsConn) writeText(ctx context.Context, b []byte) error {
	return w.c.Write(ctx, websocket.MessageText, b)
}

func (w *wsConn) close(graceful bool) {
	if graceful {
		_ = w.c.Close(websocket.StatusNormalClosure, "")
		return
	}
	_ = w.c.CloseNow()
}

// openSSE takes a ticket and opens GET /events for wid (with since when >= 0); the first frame
// must be joined.
func (d *dialer) openSSE(ctx context.Context, a *api, u *user, wid string, since int64) (conn, int64, error) {
	tk, err := a.ticket(ctx, u.token)
	if err != nil {
		return nil, 0, fmt.Errorf("ticket: %w", err)
	}
	q := "/events?ticket=" + tk + "&workspaceId=" + wid
	if since >= 0 {
		q += "&since=" + strconv.FormatInt(since, 10)
	}
	sctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, a.base+q, nil)
	if err != nil {
		cancel()
		return nil, 0, err
	}
	stop := context.AfterFunc(ctx, cancel) // the open is bounded by ctx, the stream is not
	resp, err := d.hc.Do(req)
	if err != nil {
		stop()
		cancel()
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
		stop()
		cancel()
		return nil, 0, &joinError{fmt.Sprintf("GET /events: %d %s", resp.StatusCode, b)}
	}
	s := &sseConn{body: resp.Body, br: bufio.NewReaderSize(resp.Body, 4096), cancel: cancel}
	b, err := s.next()
	stopped := stop()
	if err != nil || !stopped {
		s.close(false)
		if err == nil {
			err = ctx.Err()
		}
		return nil, 0, fmt.Errorf("join: %w", err)
	}
	f := parseFrame(b)
	if f.typ != "joined" {
		s.close(false)
		return nil, 0, &joinError{"stream began with " + string(b)}
	}
	return s, f.seq, nil
}

type sseConn struct {
	body   io.ReadCloser
	br     *bufio.Reader
	cancel context.CancelFunc
	data   []byte
}

// errStreamClosed is a close frame on an SSE stream.
var errStreamClosed = errors.New("the server ended the stream")

// next returns the data of the next message (comments and ids are skipped: frames carry seq).
func (s *sseConn) next() ([]byte, error) {
	s.data = s.data[:0]
	for {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errors.New("sse: line too long")
			}
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if len(s.data) > 0 {
				return s.data, nil
			}
		case bytes.HasPrefix(line, []byte("data: ")):
			s.data = append(s.data, line[6:]...)
		}
	}
}

func (s *sseConn) close(bool) {
	s.cancel()
	s.body.Close()
}

// frameInfo is what the load generator needs of a server frame.
type frameInfo struct {
	typ      string
	seq      int64
	event    string
	targetID string
	code     int // close frames of SSE
}

// parseFrame reads a frame's type, seq, event name and data.targetId without decoding the
// whole frame: event frames are encoded by one struct on the server, so their prefix is fixed
// ({"type":"event","workspaceId":"...","seq":N,"event":"...","data":{...}}); every other frame
// is small and decoded with encoding/json.
func parseFrame(b []byte) frameInfo {
	const evPrefix = `{"type":"event",`
	if bytes.HasPrefix(b, []byte(evPrefix)) {
		f := frameInfo{typ: "event"}
		f.seq, _ = intAfter(b, `"seq":`)
		f.event = stringAfter(b, `"event":"`)
		if i := bytes.Index(b, []byte(`"data":`)); i >= 0 {
			f.targetID = stringAfter(b[i:], `"targetId":"`)
		}
		return f
	}
	var w struct {
		Type string `json:"type"`
		Seq  int64  `json:"seq"`
		Code int    `json:"code"`
	}
	if json.Unmarshal(b, &w) != nil {
		return frameInfo{typ: "?"}
	}
	return frameInfo{typ: w.Type, seq: w.Seq, code: w.Code}
}

func intAfter(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	n, j := int64(0), 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		n = n*10 + int64(b[j]-'0')
		j++
	}
	return n, j > 0
}

func stringAfter(b []byte, key string) string {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	b = b[i+len(key):]
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return ""
	}
	return string(b[:j])
}

// closeCode is the close code of a WebSocket read error (or a close frame of SSE), 0 when the
// connection just failed.
func closeCode(err error) int {
	if c := websocket.CloseStatus(err); c != -1 {
		return int(c)
	}
	return 0
}
