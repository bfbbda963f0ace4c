package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// Protocol v1: JSON text frames. api/asyncapi.yaml is the contract; this file is its code.

// Client -> server frame types.
const (
	TypeAuth  = "auth"
	TypeJoin  = "join"
	TypeLeave = "leave"
	TypePing  = "ping"
)

// Server -> client frame types.
const (
	TypeReady   = "ready"
	TypeJoined  = "joined"
	TypeLeft    = "left"
	TypePong    = "pong"
	TypeEvent   = "event"
	TypeResync  = "resync"
	TypeRemoved = "removed"
	TypeError   = "error"
	// TypeClose ends an SSE stream (which has no close frame): its code is the close code a
	// WebSocket would have received.
	TypeClose = "close"
)

// An error frame's code is its error kind's in the one error table (platform/problem.FrameCode):
// bad_request, unauthorized, forbidden, not_found, rate_limited, unavailable or internal. The
// realtime layer's own refusals are catalogued errors like the modules' (errors.go).

// Close codes.
const (
	CloseGoingAway    = 1001                      // server shutting down: reconnect with backoff and resume
	CloseTooBig       = 1009                      // a frame exceeded the read limit: fix the client, do not retry as is
	CloseTryAgain     = problem.CloseTryAgain     // the token could not be checked (the database is not answering): reconnect with backoff
	CloseUnauthorized = problem.CloseUnauthorized // no/invalid/expired/revoked token: refresh the token, then reconnect
	ClosePolicy       = problem.ClosePolicy       // slow consumer or a limit: reconnect with backoff and resume
)

// Reasons of a removed frame.
const (
	ReasonMemberRemoved    = "member_removed"
	ReasonWorkspaceDeleted = "workspace_deleted"
)

// Field limits of client frames.
const (
	maxTokenLen = 4096
	maxRefLen   = 64
)

// Inbound is a decoded, validated client frame.
type Inbound struct {
	Type        string
	Ref         json.RawMessage // a JSON string or number, echoed verbatim; nil when absent
	Token       string          // auth
	WorkspaceID string          // join, leave
	Since       int64           // join: last seq seen, when HasSince
	HasSince    bool
	Batch       bool // auth: the client takes several frames per WebSocket message (see MaxBatch)
}

// ProtocolError is a client frame the server refuses with an error frame of code bad_request;
// the connection stays open.
type ProtocolError struct {
	Ref     json.RawMessage
	Message string
}

func (e *ProtocolError) Error() string { return e.Message }

// wireIn is every field a client frame may have; which ones a type allows is checked after.
type wireIn struct {
	Type        *string         `json:"type"`
	Ref         json.RawMessage `json:"ref"`
	Token       *string         `json:"token"`
	WorkspaceID *string         `json:"workspaceId"`
	Since       json.RawMessage `json:"since"`
	Batch       *bool           `json:"batch"`
}

// Decode parses one client frame. It accepts exactly one JSON object with a known type, the
// fields of that type and no others, and an optional ref (a string of at most 64 bytes or a
// number). Anything else is a *ProtocolError.
func Decode(b []byte) (Inbound, error) {
	var w wireIn
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] != '{' {
		return Inbound{}, &ProtocolError{Message: "a frame must be one JSON object"}
	}
	if err := dec.Decode(&w); err != nil {
		return Inbound{}, &ProtocolError{Ref: refOf(b), Message: "malformed frame: " + decodeMessage(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Inbound{}, &ProtocolError{Ref: refOf(b), Message: "a frame must be one JSON object"}
	}
	ref, err := validRef(w.Ref)
	if err != nil {
		return Inbound{}, &ProtocolError{Message: err.Error()}
	}
	if w.Type == nil {
		return Inbound{}, &ProtocolError{Ref: ref, Message: "type is required"}
	}
	in, msg := w.fields(Inbound{Type: *w.Type, Ref: ref})
	if msg != "" {
		return Inbound{}, &ProtocolError{Ref: ref, Message: msg}
	}
	return in, nil
}

// fields checks the fields of a frame of type in.Type and copies them into in; a refusal's
// message is not empty.
func (w *wireIn) fields(in Inbound) (Inbound, string) {
	switch in.Type {
	case TypeAuth:
		if msg := w.only(in.Type, true, false, false); msg != "" {
			return in, msg
		}
		if w.Token == nil || *w.Token == "" || len(*w.Token) > maxTokenLen {
			return in, "auth needs a token (a non-empty string)"
		}
		in.Token = *w.Token
		in.Batch = w.Batch != nil && *w.Batch
	case TypeJoin, TypeLeave:
		if msg := w.only(in.Type, false, true, in.Type == TypeJoin); msg != "" {
			return in, msg
		}
		if w.WorkspaceID == nil || !ids.Valid(*w.WorkspaceID) {
			return in, in.Type + " needs a workspaceId (24 lowercase hex characters)"
		}
		in.WorkspaceID = *w.WorkspaceID
		if len(w.Since) > 0 && string(w.Since) != "null" {
			n, err := strconv.ParseInt(string(w.Since), 10, 64)
			if err != nil || n < 0 {
				return in, "since must be a non-negative integer seq"
			}
			in.Since, in.HasSince = n, true
		}
	case TypePing:
		return in, w.only(in.Type, false, false, false)
	default:
		if len(in.Type) > 32 || !utf8.ValidString(in.Type) {
			return in, "unknown type"
		}
		return in, fmt.Sprintf("unknown type %q", in.Type)
	}
	return in, ""
}

// only refuses the fields a frame of type typ does not take.
func (w *wireIn) only(typ string, token, workspace, since bool) string {
	switch {
	case w.Token != nil && !token:
		return typ + " does not take token"
	case w.WorkspaceID != nil && !workspace:
		return typ + " does not take workspaceId"
	case len(w.Since) > 0 && !since:
		return typ + " does not take since"
	case w.Batch != nil && !token:
		return typ + " does not take batch"
	}
	return ""
}

// validRef accepts a JSON string of at most 64 bytes or a number of at most 64 characters.
func validRef(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) > maxRefLen+2 {
		return nil, errors.New("ref is too long (at most 64 characters)")
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, errors.New("ref must be a string or a number")
		}
	case c == '-' || (c >= '0' && c <= '9'):
	default:
		return nil, errors.New("ref must be a string or a number")
	}
	return bytes.Clone(raw), nil
}

// refOf digs the ref out of a frame that failed to decode as a whole, so the error can still
// be matched to its request; it gives up quietly.
func refOf(b []byte) json.RawMessage {
	var probe struct {
		Ref json.RawMessage `json:"ref"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return nil
	}
	ref, err := validRef(probe.Ref)
	if err != nil {
		return nil
	}
	return ref
}

func decodeMessage(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return "field " + ute.Field + " has the wrong type"
	case errors.As(err, &se):
		return "not valid JSON"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "not valid JSON"
	}
	msg := err.Error()
	if len(msg) > 100 {
		msg = msg[:100]
	}
	return msg
}

// Server frames. Each is encoded once; event frames are shared by every receiver.

type readyFrame struct {
	Type         string          `json:"type"`
	Ref          json.RawMessage `json:"ref,omitempty"`
	UserID       string          `json:"userId"`
	ConnectionID string          `json:"connectionId"`
	ExpiresAt    time.Time       `json:"expiresAt"`
	Batch        bool            `json:"batch,omitempty"`
}

type workspaceFrame struct {
	Type        string          `json:"type"`
	Ref         json.RawMessage `json:"ref,omitempty"`
	WorkspaceID string          `json:"workspaceId"`
	Seq         *int64          `json:"seq,omitempty"`
	Reason      string          `json:"reason,omitempty"`
}

type simpleFrame struct {
	Type string          `json:"type"`
	Ref  json.RawMessage `json:"ref,omitempty"`
}

type errorFrame struct {
	Type    string          `json:"type"`
	Ref     json.RawMessage `json:"ref,omitempty"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
}

type closeFrame struct {
	Type   string `json:"type"`
	Code   int    `json:"code"`
	Reason string `json:"reason"`
}

type eventFrame struct {
	Type        string         `json:"type"`
	WorkspaceID string         `json:"workspaceId"`
	Seq         int64          `json:"seq"`
	Event       string         `json:"event"`
	Data        map[string]any `json:"data"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Every frame is built from strings, numbers and audit data that was stored as JSON-able
		// BSON; failing here is a programming error.
		panic(fmt.Sprintf("realtime: encode frame: %v", err))
	}
	return b
}

func encodeReady(ref json.RawMessage, userID, connID string, exp time.Time, batch bool) []byte {
	return mustJSON(readyFrame{Type: TypeReady, Ref: ref, UserID: userID, ConnectionID: connID, ExpiresAt: exp.UTC(), Batch: batch})
}

func encodeJoined(ref json.RawMessage, wid string, head int64) []byte {
	return mustJSON(workspaceFrame{Type: TypeJoined, Ref: ref, WorkspaceID: wid, Seq: &head})
}

func encodeWorkspaceFrame(typ string, ref json.RawMessage, wid, reason string) []byte {
	return mustJSON(workspaceFrame{Type: typ, Ref: ref, WorkspaceID: wid, Reason: reason})
}

func encodeSimple(typ string, ref json.RawMessage) []byte {
	return mustJSON(simpleFrame{Type: typ, Ref: ref})
}

// encodeProblem is the error frame of a refusal, its code from the one error table.
func encodeProblem(ref json.RawMessage, e *apperr.Error) []byte {
	return mustJSON(errorFrame{Type: TypeError, Ref: ref, Code: problem.FrameCode(e.Kind), Message: e.Message})
}

func encodeClose(code int, reason string) []byte {
	return mustJSON(closeFrame{Type: TypeClose, Code: code, Reason: reason})
}

// EncodeEvent returns the event frame of an audit entry, its data the entry's EventData.
func EncodeEvent(e auditlog.Entry) ([]byte, error) {
	return json.Marshal(eventFrame{Type: TypeEvent, WorkspaceID: e.WorkspaceID, Seq: e.Seq, Event: string(e.Event), Data: e.EventData()})
}
