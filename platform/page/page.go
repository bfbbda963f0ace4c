// Package page holds the conventions of every list: a limit with a default and a maximum, and an
// opaque cursor that names the last item seen (keyset pagination, never skip/offset).
package page

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page is one page of a list. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// ErrBadCursor is returned for a cursor this service did not issue.
var ErrBadCursor = apperr.New(apperr.Invalid, "invalid_cursor", "the cursor is malformed")

// ErrBadLimit is returned for a limit outside 1..MaxLimit.
var ErrBadLimit = apperr.New(apperr.Invalid, "invalid_limit", "limit must be between 1 and 200")

// ParseLimit reads a limit query value; empty means DefaultLimit.
func ParseLimit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, ErrBadLimit
	}
	return n, nil
}

// EncodeCursor packs the parts naming the last item seen into an opaque cursor.
func EncodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

// DecodeCursor unpacks a cursor made by EncodeCursor into exactly n parts. An empty cursor
// yields n empty parts (the first page).
func DecodeCursor(cursor string, n int) ([]string, error) {
	if cursor == "" {
		return make([]string, n), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) > 1024 {
		return nil, ErrBadCursor
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != n {
		return nil, ErrBadCursor
	}
	return parts, nil
}
