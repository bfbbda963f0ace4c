// Package apperr defines the handful of error categories every module's domain errors belong to.
//
// A module declares sentinel errors with New and wraps them with context; the HTTP adapter maps
// the Kind to a status code in one place and sends Code as the stable machine-readable code.
package apperr

import (
	"errors"
	"time"
)

// Kind is an error category. It decides the transport status, never the message.
type Kind int

// The categories. Internal is the zero value so an unclassified error is never shown to clients.
const (
	Internal         Kind = iota
	Invalid               // the input is malformed or breaks a rule about its shape
	Unauthenticated       // no or bad credentials
	Forbidden             // authenticated, but not allowed
	NotFound              // does not exist, or the caller may not know it exists
	Conflict              // the current state does not allow it
	TooLarge              // the input exceeds a size limit
	RateLimited           // too many attempts; retry later
	Unavailable           // a dependency is down; retry later
	UnsupportedMedia      // the body is not in a format this endpoint reads
	Unprocessable         // well formed, but contradicts what was sent before (a reused idempotency key)
)

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a categorised error with a stable code and a message safe to show to the caller.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Fields     []FieldError
	RetryAfter time.Duration
}

// New returns a categorised error; modules use it for their sentinel errors.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Validation returns an Invalid error listing the offending fields.
func Validation(fields ...FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Message: msg, Fields: fields}
}

func (e *Error) Error() string { return e.Message }

// Is makes two errors with the same kind and code match, so a copy with extra detail
// (for instance a RetryAfter) still satisfies errors.Is against its sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Code == e.Code
}

// WithRetryAfter returns a copy of e that tells the caller when to try again.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// WithMessage returns a copy of e with a more specific message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// As returns the categorised error in err's chain, or nil when there is none.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the category of err; errors outside the catalogue are Internal.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}
