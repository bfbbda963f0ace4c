package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/page"
)

type documentJSON struct {
	ID           string     `json:"id"`
	WorkspaceID  string     `json:"workspaceId"`
	Name         string     `json:"name"`
	Title        string     `json:"title"`
	Size         int64      `json:"size"`
	ContentType  string     `json:"contentType"`
	SHA256       string     `json:"sha256"`
	UploadedBy   string     `json:"uploadedBy"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	ExpiresAt    *time.Time `json:"expiresAt"`
	ExpiryStatus string     `json:"expiryStatus"`
	Version      int64      `json:"version"`
}

func toDocumentJSON(d document.Document) documentJSON {
	out := documentJSON{
		ID: d.ID, WorkspaceID: d.WorkspaceID, Name: d.Name, Title: d.Title, Size: d.Size, ContentType: d.ContentType,
		SHA256: d.SHA256, UploadedBy: d.UploadedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		ExpiryStatus: string(d.ExpiryStatus), Version: d.Version,
	}
	if d.ExpiresAt != nil {
		t := d.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	return out
}

func writeDocument(c *gin.Context, status int, d document.Document) {
	c.Header("ETag", etag(d.Version))
	c.JSON(status, toDocumentJSON(d))
}

var (
	errNotMultipart  = apperr.New(apperr.UnsupportedMedia, "unsupported_media_type", "an upload must be multipart/form-data")
	errUploadTooBig  = apperr.New(apperr.TooLarge, "file_too_large", "the file exceeds the maximum upload size")
	errBadMultipart  = apperr.New(apperr.Invalid, "malformed_multipart", "the multipart body is malformed")
	errNeedOneFile   = apperr.Validation(apperr.FieldError{Field: "file", Message: "exactly one file is required"})
	uploadFormFields = map[string]bool{"title": true, "expiresAt": true}
)

// multipartOverhead is the room the multipart framing and the small fields may take on top
// of the largest accepted file.
const multipartOverhead = 64 << 10

// uploadReadBuffer is how much of an upload's body one read takes from the connection.
const uploadReadBuffer = 64 << 10

// maxUploadParts bounds the parts of an upload form (one file, two fields, some slack).
const maxUploadParts = 16

// uploadDocument streams the form: fields are kept as they come, and the file part goes
// straight into the blob store (document.Service.Stage) rather than being held or spooled,
// since its fields may follow it. Upload then validates the fields and records the document,
// or the staged content is discarded: a refused upload stores nothing.
func (a *API) uploadDocument(c *gin.Context) {
	ctx, wid, actor := c.Request.Context(), c.Param("wid"), userID(c)
	// Authorize before reading a byte of the body, so a stranger cannot make the server store
	// an upload.
	if err := a.workspaces.Authorize(ctx, wid, actor, authz.DocumentUpload); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		abortWithError(c, a.log, errNotMultipart)
		return
	}
	if params["boundary"] == "" {
		abortWithError(c, a.log, errBadMultipart)
		return
	}
	// Read the body 64 KiB at a time: the multipart reader asks for 4 KiB per read, which
	// would be a system call per 4 KiB of a file.
	mr := multipart.NewReader(bufio.NewReaderSize(c.Request.Body, uploadReadBuffer), params["boundary"])
	in, err := a.readUploadForm(c, mr)
	if err != nil {
		if in.Staged != nil {
			a.documents.Discard(ctx, in.Staged)
		}
		abortWithError(c, a.log, err)
		return
	}
	d, err := a.documents.Upload(ctx, actor, wid, in) // discards staged content it refuses
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Location", "/api/v1/workspaces/"+d.WorkspaceID+"/documents/"+d.ID)
	writeDocument(c, http.StatusCreated, d)
}

// readUploadForm reads every part of the form, staging the file's content as it streams in.
// The input it returns holds the staged content even with an error, for the caller to discard.
func (a *API) readUploadForm(c *gin.Context, mr *multipart.Reader) (document.UploadInput, error) {
	var (
		in     document.UploadInput
		fields apperr.Fields
		seen   = map[string]bool{}
		files  int
	)
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, uploadBodyError(err)
		}
		if parts == maxUploadParts {
			return in, errBadMultipart.WithMessage(fmt.Sprintf("an upload form has at most %d parts", maxUploadParts))
		}
		name := part.FormName()
		switch {
		case part.FileName() != "" && name == "file":
			if files++; files > 1 {
				break // refused below, once the form is read
			}
			in.Name = part.FileName()
			body := &erringReader{r: part}
			if in.Staged, err = a.documents.Stage(c.Request.Context(), userID(c), c.Param("wid"), body); err != nil {
				if body.err != nil && !errors.Is(err, document.ErrTooLarge) {
					return in, uploadBodyError(body.err)
				}
				return in, err
			}
		case part.FileName() == "" && uploadFormFields[name]:
			value, err := io.ReadAll(io.LimitReader(part, multipartOverhead))
			if err != nil {
				return in, uploadBodyError(err)
			}
			if seen[name] {
				fields.Add(name, "must be given once")
			}
			seen[name] = true
			switch name {
			case "title":
				in.Title = string(value)
			case "expiresAt":
				if len(value) > 0 {
					t, err := time.Parse(time.RFC3339Nano, string(value))
					if err != nil {
						fields.Add("expiresAt", "must be an RFC 3339 time such as 2026-05-01T09:00:00Z")
					}
					in.ExpiresAt = &t
				}
			}
		default:
			fields.Add(name, "is not a known field")
		}
		// Whatever is left of the part (an unknown one, a second file) is read and dropped;
		// the request's body limit bounds it.
		if _, err := io.Copy(io.Discard, part); err != nil {
			return in, uploadBodyError(err)
		}
	}
	if files != 1 {
		return in, errNeedOneFile
	}
	return in, fields.Err()
}

// uploadBodyError is the answer to a body that could not be read: too large for the limit, or
// not a well-formed multipart form (a client that went away included).
func uploadBodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errUploadTooBig
	}
	return errBadMultipart
}

// erringReader remembers the error its reader gave, to tell a broken body from a refused file.
type erringReader struct {
	r   io.Reader
	err error
}

func (e *erringReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

func (a *API) listDocuments(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	var fields apperr.Fields
	in := document.ListInput{Text: c.Query("q"), Cursor: c.Query("cursor"), Limit: limit}
	in.ExpiryStatuses = queryList(c, "expiryStatus", document.ParseExpiryStatus, "must be one of VALID, EXPIRING_SOON, EXPIRED", &fields)
	if utf8.RuneCountInString(in.Text) > maxQueryText {
		fields.Add("q", "must be at most 200 characters")
	}
	if err := fields.Err(); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.documents.List(c.Request.Context(), userID(c), c.Param("wid"), in)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toDocumentJSON))
}

func (a *API) getDocument(c *gin.Context) {
	d, err := a.documents.Get(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeDocument(c, http.StatusOK, d)
}

// downloadDocument streams the content. http.ServeContent answers Range, If-Range and
// If-None-Match (against the content's ETag, its SHA-256) and sets Content-Length; its 412 and
// 416 become problem documents like every other error.
func (a *API) downloadDocument(c *gin.Context) {
	d, content, err := a.documents.Open(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	defer content.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", contentDisposition(d.Name))
	h.Set("ETag", `"`+d.SHA256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(&contentProblems{ResponseWriter: c.Writer, c: c}, c.Request, "", d.CreatedAt, content)
}

// contentDisposition names the download: a plain ASCII fallback plus the exact UTF-8 name
// (RFC 6266 / RFC 5987). Names are sanitised at upload, so no quote or control character is in
// them; the fallback replaces anything outside printable ASCII all the same.
func contentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + url.PathEscape(name)
}

func (a *API) updateDocument(c *gin.Context) {
	version, err := ifMatchVersion(c)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	var in struct {
		Title     *string             `json:"title"`
		ExpiresAt optional[timestamp] `json:"expiresAt"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	if in.Title == nil && !in.ExpiresAt.Set {
		abortWithError(c, a.log, errNothingToUpdate)
		return
	}
	u := document.UpdateInput{Title: in.Title, IfVersion: version}
	if in.ExpiresAt.Set {
		if in.ExpiresAt.Null {
			u.ClearExpiry = true
		} else {
			u.ExpiresAt = &in.ExpiresAt.Value.Time
		}
	}
	d, err := a.documents.Update(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), u)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeDocument(c, http.StatusOK, d)
}

func (a *API) deleteDocument(c *gin.Context) {
	if err := a.documents.Delete(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// contentProblems turns the failures http.ServeContent writes itself (412 bare, 416 as plain
// text) into problem documents; everything else passes through.
type contentProblems struct {
	http.ResponseWriter
	c        *gin.Context
	replaced bool
}

func (w *contentProblems) WriteHeader(status int) {
	var code, detail string
	switch status {
	case http.StatusPreconditionFailed:
		code, detail = "precondition_failed", "If-Match or If-Unmodified-Since does not match the content (its ETag is in the ETag header)"
	case http.StatusRequestedRangeNotSatisfiable:
		code, detail = "range_not_satisfiable", "no range of the Range header overlaps the content (its size is in Content-Range)"
	default:
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Disposition")
	writeProblem(w.c, status, code, detail)
}

// Write drops ServeContent's own body of a replaced answer.
func (w *contentProblems) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
