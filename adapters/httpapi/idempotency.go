package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/idempotency"
)

const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	// bodyInMemory is how much of a request body is held in memory for its fingerprint; the
	// rest of a larger one (an upload) waits in a temporary file.
	bodyInMemory = 1 << 20
)

// replayedHeaders are the headers of a stored answer worth sending again.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Cache-Control"}

// idempotent makes a creating POST safe to retry (Stripe's and the IETF draft's
// Idempotency-Key): one line per route opts in. Without the header the request runs as usual.
// With it, the first request runs and its answer is stored; the same key from the same
// principal with the same request (method, path, media type and body; a multipart body's
// boundary does not count) within 24 h gets that answer again with Idempotent-Replayed: true
// and creates nothing; with another request, 422 idempotency_key_reused; while the first is
// still running, 409 idempotency_key_in_use. A server error (5xx) is not stored: the retry runs.
func (a *API) idempotent(c *gin.Context) {
	key := c.GetHeader(headerIdempotencyKey)
	if key == "" {
		c.Next()
		return
	}
	if !idempotency.ValidKey(key) {
		abortWithError(c, a.log, idempotency.ErrInvalidKey)
		return
	}
	fp, cleanup, err := fingerprint(c)
	defer cleanup()
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	ctx := c.Request.Context()
	claim, rec, err := a.idempotency.Begin(ctx, principal(c).UserID, key, fp)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	if rec != nil {
		for k, v := range rec.Header {
			c.Header(k, v)
		}
		c.Header(headerReplayed, "true")
		c.Status(rec.Status)
		_, _ = c.Writer.Write(rec.Body)
		c.Abort()
		return
	}
	w := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = w
	finished := false
	defer func() {
		if !finished { // a panic: the key is released, so that a retry runs
			a.idempotency.Finish(context.WithoutCancel(ctx), claim, http.StatusInternalServerError, nil, nil)
		}
	}()
	c.Next()
	finished = true
	status := w.Status()
	if w.over {
		status = 0 // too large to keep: released
	}
	header := map[string]string{}
	for _, h := range replayedHeaders {
		if v := w.Header().Get(h); v != "" {
			header[h] = v
		}
	}
	a.idempotency.Finish(context.WithoutCancel(ctx), claim, status, header, w.body.Bytes())
}

// recordingWriter keeps a copy of the answer's body, up to what a record may hold.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
	over bool
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.keep(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.keep([]byte(s))
	return w.ResponseWriter.WriteString(s)
}

func (w *recordingWriter) keep(b []byte) {
	if w.over {
		return
	}
	if w.body.Len()+len(b) > idempotency.MaxBodyBytes {
		w.over = true
		w.body.Reset()
		return
	}
	w.body.Write(b)
}

// fingerprint hashes what makes a request the same request, reading the body and putting it
// back for the handler (in memory, or past bodyInMemory in a temporary file that cleanup
// removes).
func fingerprint(c *gin.Context) (string, func(), error) {
	cleanup := func() {}
	r := c.Request
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var head bytes.Buffer
	n, err := io.CopyN(&head, r.Body, bodyInMemory+1)
	var body io.ReadSeeker
	switch {
	case errors.Is(err, io.EOF):
		body = bytes.NewReader(head.Bytes())
	case err != nil:
		return "", cleanup, readError(err)
	default:
		f, err := os.CreateTemp("", "wso-idempotent-*")
		if err != nil {
			return "", cleanup, err
		}
		cleanup = func() { f.Close(); os.Remove(f.Name()) }
		if _, err := f.Write(head.Bytes()[:n]); err != nil {
			return "", cleanup, err
		}
		if _, err := io.Copy(f, r.Body); err != nil {
			return "", cleanup, readError(err)
		}
		body = f
	}
	h := sha256.New()
	io.WriteString(h, r.Method+"\n"+r.URL.Path+"?"+r.URL.RawQuery+"\n"+mediaType+"\n")
	var sink io.Writer = h
	if b := params["boundary"]; strings.HasPrefix(mediaType, "multipart/") && b != "" {
		sink = &stripper{h: h, cut: []byte(b)}
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return "", cleanup, err
	}
	if _, err := io.Copy(sink, body); err != nil {
		return "", cleanup, err
	}
	if s, ok := sink.(*stripper); ok {
		s.flush()
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return "", cleanup, err
	}
	r.Body = io.NopCloser(body)
	return hex.EncodeToString(h.Sum(nil)), cleanup, nil
}

func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errBodyTooLarge
	}
	return err
}

// stripper hashes what is written to it without the occurrences of cut (a multipart boundary,
// random per request, so a retry's body differs from the first only there). It holds back the
// last len(cut)-1 bytes, where an occurrence may continue in the next write.
type stripper struct {
	h     hash.Hash
	cut   []byte
	carry []byte
}

func (s *stripper) Write(p []byte) (int, error) {
	data := bytes.ReplaceAll(append(s.carry, p...), s.cut, nil)
	keep := min(len(s.cut)-1, len(data))
	s.h.Write(data[:len(data)-keep])
	s.carry = append(s.carry[:0], data[len(data)-keep:]...)
	return len(p), nil
}

func (s *stripper) flush() { s.h.Write(s.carry) }
