// Package ids generates and validates entity identifiers.
//
// An id is 24 lowercase hex characters: a 4-byte big-endian Unix-seconds prefix and 8 random
// bytes, the same shape as a MongoDB ObjectID, so ids sort roughly by creation time and read
// familiarly in MongoDB tools, while staying plain strings in the domain.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Length is the number of characters in an id.
const Length = 24

// New returns a fresh id.
func New() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	_, _ = rand.Read(b[4:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Valid reports whether s has the shape of an id.
func Valid(s string) bool {
	if len(s) != Length {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
