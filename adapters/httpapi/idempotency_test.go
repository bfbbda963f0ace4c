package httpapi

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

// The stripper hashes a body without its multipart boundary however the body arrives in
// pieces, including a boundary split across two writes.
func TestStripperIgnoresTheBoundaryAcrossWrites(t *testing.T) {
	const boundary = "b0undary1234567890"
	body := []byte(strings.Repeat("--"+boundary+"\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\npayload bytes\r\n", 50) + "--" + boundary + "--\r\n")
	want := sha256.Sum256(bytes.ReplaceAll(body, []byte(boundary), nil))
	for _, size := range []int{1, 2, 7, len(boundary) - 1, len(boundary), len(boundary) + 1, 100, len(body)} {
		h := sha256.New()
		s := &stripper{h: h, cut: []byte(boundary)}
		for i := 0; i < len(body); i += size {
			s.Write(body[i:min(i+size, len(body))])
		}
		s.flush()
		if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Errorf("written in pieces of %d: another hash", size)
		}
	}
}
