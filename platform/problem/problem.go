// Package problem is the one table of what clients see when something fails: each error kind's
// HTTP status, realtime error-frame code and WebSocket close code (when the refusal ends a
// connection), and the RFC 9457 problem document every HTTP error
// answer is, whether it comes from the REST API, the WebSocket handshake, the SSE stream or the
// server itself (an over-long header, an unknown route).
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/logging"
)

// Problem is an RFC 9457 problem document with the stable machine code clients switch on.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      string              `json:"code"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
}

// The WebSocket close codes of realtime protocol v1 (api/asyncapi.yaml) that answer an error
// kind, and the SSE stream's close message carries the same code.
const (
	CloseTryAgain     = 1013 // the store did not answer: reconnect with backoff
	CloseUnauthorized = 4001 // no, invalid, expired or revoked token: refresh it, then reconnect
	ClosePolicy       = 4008 // a limit (rate, connections, a slow consumer): reconnect with backoff
)

// kinds is the table: per error kind, the HTTP status (REST, a refused handshake or stream), the
// code of a realtime error frame (a refusal on an open connection), and the close code when
// the refusal ends the connection (0: it does not, the connection stays open).
var kinds = map[apperr.Kind]struct {
	status int
	frame  string
	close  int
}{
	apperr.Invalid:          {http.StatusBadRequest, "bad_request", 0},
	apperr.Unauthenticated:  {http.StatusUnauthorized, "unauthorized", CloseUnauthorized},
	apperr.Forbidden:        {http.StatusForbidden, "forbidden", 0},
	apperr.NotFound:         {http.StatusNotFound, "not_found", 0},
	apperr.Conflict:         {http.StatusConflict, "conflict", 0},
	apperr.TooLarge:         {http.StatusRequestEntityTooLarge, "bad_request", 0},
	apperr.RateLimited:      {http.StatusTooManyRequests, "rate_limited", ClosePolicy},
	apperr.Unavailable:      {http.StatusServiceUnavailable, "unavailable", CloseTryAgain},
	apperr.UnsupportedMedia: {http.StatusUnsupportedMediaType, "bad_request", 0},
	apperr.Unprocessable:    {http.StatusUnprocessableEntity, "bad_request", 0},
	apperr.Internal:         {http.StatusInternalServerError, "internal", 0},
}

// Status returns the HTTP status of an error kind.
func Status(k apperr.Kind) int { return kinds[k].status }

// FrameCode returns the code a realtime error frame carries for an error kind.
func FrameCode(k apperr.Kind) string { return kinds[k].frame }

// CloseCode returns the WebSocket close code of a refusal of kind k that ends a connection (an
// authentication that failed, a limit passed), 0 for a kind that never ends one.
func CloseCode(k apperr.Kind) int { return kinds[k].close }

// StoreRetryAfter is how long a client is asked to wait when the store did not answer.
const StoreRetryAfter = 5 * time.Second

// Errors that are not any module's.
var (
	ErrInternal = apperr.New(apperr.Internal, "internal", "an unexpected error occurred; it has been logged")
	// ErrStoreUnavailable: the database did not answer within the bound of one operation, or
	// could not be reached. A retry may well succeed.
	ErrStoreUnavailable = apperr.New(apperr.Unavailable, "store_unavailable",
		"the database is not answering; retry shortly").WithRetryAfter(StoreRetryAfter)
)

// StoreDown marks err, a store's failure to answer in time or at all, as ErrStoreUnavailable
// for clients while the log keeps err's detail.
func StoreDown(err error) error { return storeDown{err} }

type storeDown struct{ error }

func (s storeDown) Unwrap() []error { return []error{s.error, ErrStoreUnavailable} }

// Of returns the categorised error answered for err and whether it must be logged: errors
// outside the catalogue are answered as ErrInternal (internals never reach a client), except a
// store marked down by its adapter (StoreDown) or an operation that ran past its deadline,
// which are ErrStoreUnavailable; all three are logged.
func Of(err error) (e *apperr.Error, log bool) {
	if errors.Is(err, ErrStoreUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return ErrStoreUnavailable, true
	}
	if e = apperr.As(err); e != nil && e.Kind != apperr.Internal {
		return e, false
	}
	return ErrInternal, true
}

// New returns the problem document of e for a request with ctx.
func New(ctx context.Context, e *apperr.Error) Problem {
	return Document(ctx, Status(e.Kind), e.Code, e.Message, e.Fields)
}

// Document returns a problem document; New is the usual way, this one serves the few statuses
// that are no error kind (405, 412, 416).
func Document(ctx context.Context, status int, code, detail string, fields []apperr.FieldError) Problem {
	return Problem{
		Type: "urn:workspaceops:problem:" + code, Title: http.StatusText(status), Status: status,
		Detail: detail, Code: code, Errors: fields, RequestID: logging.RequestID(ctx),
	}
}

// Header sets the headers that go with e: Content-Type, Cache-Control, Retry-After when it
// has one, WWW-Authenticate on 401.
func Header(h http.Header, e *apperr.Error) {
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if Status(e.Kind) == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="workspaceops"`)
	}
}

// Write answers e as a problem document.
func Write(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
	Header(w.Header(), e)
	p := New(r.Context(), e)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
