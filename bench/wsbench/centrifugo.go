package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The Centrifugo client of -target centrifugo: its JSON protocol (client protocol v2) over the
// bidirectional WebSocket transport at /connection/websocket. Every command is a JSON object with
// an id and one method ({"id":1,"connect":{"token":...}}); the server answers each with a reply
// carrying the same id (a result under the method's name, or an error) and sends asynchronous
// pushes without id ({"push":{"channel":...,"pub":{"data":...}}}). It writes several replies and
// pushes in one WebSocket message, newline-delimited (wsConn.nextCtx splits them). A ping is an
// empty reply, {}, answered with an empty command, {} (and only then: an unasked pong is a
// protocol error); over WebSocket a disconnect comes in the close frame (Centrifugo's other
// transports push {"push":{"disconnect":...}}, which is handled too).

// cfReply is a decoded Centrifugo reply or push.
type cfReply struct {
	ID    uint32 `json:"id"`
	Error *struct {
		Code    uint32 `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Push *struct {
		Channel string `json:"channel"`
		Pub     *struct {
			Data json.RawMessage `json:"data"`
		} `json:"pub"`
		Disconnect *struct {
			Code   uint32 `json:"code"`
			Reason string `json:"reason"`
		} `json:"disconnect"`
	} `json:"push"`
	Connect   json.RawMessage `json:"connect"`
	Subscribe json.RawMessage `json:"subscribe"`
}

// cfPacket is what the driver makes of one line of a server message.
type cfPacket struct {
	ping       bool
	id         uint32          // a reply's command id (0 for a push)
	err        string          // a reply's error, "code: message"
	channel    string          // a push's channel
	pub        []byte          // a publication's data (aliases the input on the fast path)
	disconnect string          // a disconnect push, "code: reason"
	result     json.RawMessage // a reply's result (connect, subscribe)
}

var errCFClosed = errors.New("centrifugo: the server ended the connection")

// cfPubPrefix and cfPubSuffix frame a publication as Centrifugo encodes it when the channel
// keeps no history (no offset, no tags, no info): {"push":{"channel":"<ch>","pub":{"data":<data>}}}.
var (
	cfPubPrefix = []byte(`{"push":{"channel":"`)
	cfPubData   = []byte(`","pub":{"data":`)
	cfPubSuffix = []byte(`}}}`)
)

// parseCFLine decodes one line of a server message. A publication shaped as Centrifugo writes it
// without history is cut out without decoding (the hot path: it is every delivery); anything
// else is decoded.
func parseCFLine(b []byte) (cfPacket, error) {
	if string(b) == "{}" {
		return cfPacket{ping: true}, nil
	}
	if rest, ok := bytes.CutPrefix(b, cfPubPrefix); ok {
		if i := bytes.Index(rest, cfPubData); i > 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			if data, ok := bytes.CutSuffix(rest[i+len(cfPubData):], cfPubSuffix); ok && objectLen(data) == len(data) {
				return cfPacket{channel: string(rest[:i]), pub: data}, nil
			}
		}
	}
	var r cfReply
	if err := json.Unmarshal(b, &r); err != nil {
		return cfPacket{}, fmt.Errorf("centrifugo: malformed reply %.200q: %w", b, err)
	}
	p := cfPacket{id: r.ID}
	switch {
	case r.Error != nil:
		p.err = strconv.FormatUint(uint64(r.Error.Code), 10) + ": " + r.Error.Message
	case r.Push != nil && r.Push.Disconnect != nil:
		p.disconnect = strconv.FormatUint(uint64(r.Push.Disconnect.Code), 10) + ": " + r.Push.Disconnect.Reason
	case r.Push != nil:
		p.channel = r.Push.Channel
		if r.Push.Pub != nil {
			p.pub = r.Push.Pub.Data
		}
	case r.Connect != nil:
		p.result = r.Connect
	case r.Subscribe != nil:
		p.result = r.Subscribe
	}
	return p, nil
}

// objectLen is the length of the JSON object b begins with, braces counted outside strings (0
// when b does not begin with one, or it does not end): enough to tell a publication's data from
// data followed by other fields. It does not validate the object.
func objectLen(b []byte) int {
	if len(b) == 0 || b[0] != '{' {
		return 0
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}

// cfConn is a Centrifugo client connected and subscribed to one workspace's channel. Its next
// answers the server's pings and returns the data of every publication of that channel: the
// backend shapes it like a protocol v1 event frame, so parseFrame reads it as one.
type cfConn struct {
	ws      *wsConn
	channel string
}

// openCF connects a Centrifugo client on a's server with u's token and subscribes it to the
// channel of wid. Centrifugo has no seq to return (the backend keeps it).
func (d *dialer) openCF(ctx context.Context, a *api, u *user, wid string) (conn, error) {
	w, err := d.dialWS(ctx, a, "/connection/websocket")
	if err != nil {
		return nil, err
	}
	c := &cfConn{ws: w, channel: cfChannel(wid)}
	if err := c.handshake(ctx, u.token); err != nil {
		w.close(false)
		return nil, err
	}
	return c, nil
}

func (c *cfConn) handshake(ctx context.Context, token string) error {
	type connect struct {
		Token string `json:"token"`
	}
	type subscribe struct {
		Channel string `json:"channel"`
	}
	for _, cmd := range []struct {
		ID        uint32     `json:"id"`
		Connect   *connect   `json:"connect,omitempty"`
		Subscribe *subscribe `json:"subscribe,omitempty"`
	}{
		{ID: 1, Connect: &connect{Token: token}},
		{ID: 2, Subscribe: &subscribe{Channel: c.channel}},
	} {
		what := "connect"
		if cmd.Subscribe != nil {
			what = "subscribe"
		}
		b, err := json.Marshal(cmd)
		if err != nil {
			return err
		}
		if err := c.ws.writeText(ctx, b); err != nil {
			return fmt.Errorf("centrifugo %s: %w", what, err)
		}
		for {
			p, err := c.read(ctx)
			if err != nil {
				return fmt.Errorf("centrifugo %s: %w", what, err)
			}
			if p.id != cmd.ID {
				continue // a push before the reply (none is expected before the subscription)
			}
			if p.err != "" {
				return &joinError{"centrifugo " + what + " refused: " + p.err}
			}
			if p.result == nil {
				return &joinError{"centrifugo " + what + " answered without a result"}
			}
			break
		}
	}
	return nil
}

// read returns the next reply or push but pings, which it answers; a disconnect is errCFClosed.
func (c *cfConn) read(ctx context.Context) (cfPacket, error) {
	for {
		b, err := c.ws.nextCtx(ctx)
		if err != nil {
			return cfPacket{}, err
		}
		if len(b) == 0 {
			continue
		}
		p, err := parseCFLine(b)
		if err != nil {
			return cfPacket{}, err
		}
		switch {
		case p.ping:
			if err := c.ws.writeText(ctx, []byte("{}")); err != nil {
				return cfPacket{}, fmt.Errorf("pong: %w", err)
			}
			continue
		case p.disconnect != "":
			return cfPacket{}, fmt.Errorf("%w (%s)", errCFClosed, p.disconnect)
		}
		return p, nil
	}
}

func (c *cfConn) next() ([]byte, error) {
	for {
		p, err := c.read(context.Background())
		if err != nil {
			return nil, err
		}
		if p.pub != nil && p.channel == c.channel {
			return p.pub, nil
		}
	}
}

func (c *cfConn) close(graceful bool) { c.ws.close(graceful) }
