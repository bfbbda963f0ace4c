package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The Socket.IO v5 client of -target socketio, over Engine.IO v4's websocket transport only
// (no polling, no upgrade): every WebSocket text message is one Engine.IO packet, a type byte
// then its data; a message packet carries one Socket.IO packet,
// <type>[<namespace>,][<ack id>][<JSON data>]. Binary packets are not supported.

// Engine.IO v4 packet types.
const (
	eioOpen    = '0'
	eioClose   = '1'
	eioPing    = '2'
	eioPong    = '3'
	eioMessage = '4'
	eioNoop    = '6'
)

// Socket.IO v5 packet types.
const (
	sioConnect      = '0'
	sioDisconnect   = '1'
	sioEvent        = '2'
	sioAck          = '3'
	sioConnectError = '4'
	sioBinaryEvent  = '5'
	sioBinaryAck    = '6'
)

// sioPacket is a decoded Engine.IO packet and, for a message, its Socket.IO packet.
type sioPacket struct {
	eio  byte   // Engine.IO type
	typ  byte   // Socket.IO type (messages only)
	nsp  string // Socket.IO namespace, "/" when absent
	ack  int64  // ack id, -1 when absent
	data []byte // the rest: the open packet's handshake JSON, a message's JSON data (aliases the input)
}

var (
	errSIOMalformed = errors.New("socket.io: malformed packet")
	errSIOClosed    = errors.New("socket.io: the server ended the session")
)

// parseSIOPacket decodes one WebSocket message of the Engine.IO websocket transport.
func parseSIOPacket(b []byte) (sioPacket, error) {
	if len(b) == 0 || b[0] < eioOpen || b[0] > eioNoop {
		return sioPacket{}, errSIOMalformed
	}
	p := sioPacket{eio: b[0], nsp: "/", ack: -1, data: b[1:]}
	if p.eio != eioMessage {
		return p, nil
	}
	b = b[1:]
	if len(b) == 0 {
		return sioPacket{}, errSIOMalformed
	}
	p.typ, b = b[0], b[1:]
	switch p.typ {
	case sioConnect, sioDisconnect, sioEvent, sioAck, sioConnectError:
	case sioBinaryEvent, sioBinaryAck:
		return sioPacket{}, fmt.Errorf("socket.io: binary packets are not supported (type %c)", p.typ)
	default:
		return sioPacket{}, errSIOMalformed
	}
	if len(b) > 0 && b[0] == '/' {
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			i = len(b)
		}
		p.nsp = string(b[:i])
		b = b[min(i+1, len(b)):]
	}
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	if n > 0 {
		id, err := strconv.ParseInt(string(b[:n]), 10, 64)
		if err != nil {
			return sioPacket{}, errSIOMalformed
		}
		p.ack, b = id, b[n:]
	}
	p.data = b
	return p, nil
}

// encodeSIOMessage is an Engine.IO message carrying a Socket.IO packet of type typ for the main
// namespace, with an ack id (none when < 0) and JSON data (none when nil).
func encodeSIOMessage(typ byte, ack int64, data []byte) []byte {
	b := make([]byte, 0, 2+20+len(data))
	b = append(b, eioMessage, typ)
	if ack >= 0 {
		b = strconv.AppendInt(b, ack, 10)
	}
	return append(b, data...)
}

// sioEventArg returns the argument of an event packet's data (["name",arg]) when the event is
// name. It does not decode the JSON: the reference emits its events with one argument and a
// plain name, so the data is exactly that prefix, the argument, and "]".
func sioEventArg(data []byte, name string) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`["`+name+`",`))
	if !ok {
		return nil, false
	}
	return bytes.CutSuffix(rest, []byte("]"))
}

// sioConn is a Socket.IO client connected to the main namespace and joined to one room. Its
// next answers the server's pings and returns the argument of every "event" event: the
// reference shapes it like a protocol v1 event frame, so parseFrame reads it as one.
type sioConn struct {
	ws *wsConn
}

// openSIO connects a Socket.IO client to the reference on a's server: the Engine.IO handshake,
// a connect to the main namespace with auth {"token"}, then a join event for wid whose ack
// carries the room's last seq, which it returns.
func (d *dialer) openSIO(ctx context.Context, a *api, u *user, wid string) (conn, int64, error) {
	w, err := d.dialWS(ctx, a, "/socket.io/?EIO=4&transport=websocket")
	if err != nil {
		return nil, 0, err
	}
	s := &sioConn{ws: w}
	seq, err := s.handshake(ctx, u.token, wid)
	if err != nil {
		w.close(false)
		return nil, 0, err
	}
	return s, seq, nil
}

func (s *sioConn) handshake(ctx context.Context, token, wid string) (int64, error) {
	p, err := s.read(ctx)
	if err != nil {
		return 0, fmt.Errorf("engine.io open: %w", err)
	}
	if p.eio != eioOpen {
		return 0, &joinError{"engine.io began with a packet of type " + string(p.eio)}
	}
	auth, err := json.Marshal(map[string]string{"token": token})
	if err != nil {
		return 0, err
	}
	if err := s.ws.writeText(ctx, encodeSIOMessage(sioConnect, -1, auth)); err != nil {
		return 0, fmt.Errorf("socket.io connect: %w", err)
	}
	if p, err = s.read(ctx); err != nil {
		return 0, fmt.Errorf("socket.io connect: %w", err)
	}
	switch {
	case p.eio == eioMessage && p.typ == sioConnect && p.nsp == "/":
	case p.eio == eioMessage && p.typ == sioConnectError:
		return 0, &joinError{"socket.io connect refused: " + string(p.data)}
	default:
		return 0, &joinError{fmt.Sprintf("socket.io connect answered a packet of type %c%c", p.eio, p.typ)}
	}
	join, err := json.Marshal([]string{"join", wid})
	if err != nil {
		return 0, err
	}
	const joinAck = 0
	if err := s.ws.writeText(ctx, encodeSIOMessage(sioEvent, joinAck, join)); err != nil {
		return 0, fmt.Errorf("join: %w", err)
	}
	for {
		p, err := s.read(ctx)
		if err != nil {
			return 0, fmt.Errorf("join: %w", err)
		}
		if p.eio != eioMessage || p.typ != sioAck || p.ack != joinAck {
			continue // nothing of the room can come before the ack; skip anything else
		}
		var args []struct {
			Seq int64 `json:"seq"`
		}
		if err := json.Unmarshal(p.data, &args); err != nil || len(args) != 1 {
			return 0, &joinError{"join acked " + string(p.data)}
		}
		return args[0].Seq, nil
	}
}

// read returns the next packet but pings, which it answers; a close or a disconnect is
// errSIOClosed.
func (s *sioConn) read(ctx context.Context) (sioPacket, error) {
	for {
		b, err := s.ws.nextCtx(ctx)
		if err != nil {
			return sioPacket{}, err
		}
		p, err := parseSIOPacket(b)
		if err != nil {
			return sioPacket{}, err
		}
		switch {
		case p.eio == eioPing:
			if err := s.ws.writeText(ctx, append([]byte{eioPong}, p.data...)); err != nil {
				return sioPacket{}, fmt.Errorf("pong: %w", err)
			}
			continue
		case p.eio == eioClose, p.eio == eioMessage && p.typ == sioDisconnect:
			return sioPacket{}, errSIOClosed
		}
		return p, nil
	}
}

func (s *sioConn) next() ([]byte, error) {
	for {
		p, err := s.read(context.Background())
		if err != nil {
			return nil, err
		}
		if p.eio == eioMessage && p.typ == sioEvent && p.nsp == "/" {
			if arg, ok := sioEventArg(p.data, "event"); ok {
				return arg, nil
			}
		}
	}
}

func (s *sioConn) close(graceful bool) { s.ws.close(graceful) }
