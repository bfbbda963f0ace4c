package httpapi

import (
	"errors"
	"fmt"
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

// uploadMemory is how much of a multipart upload is held in memory; the rest spills to a
// temporary file that is removed when the request ends.
const uploadMemory = 1 << 20

// multipartOverhead is the room the multipart framing and the small fields may take on top
// of the largest accepted file.
const multipartOverhead = 64 << 10

func (a *API) uploadDocument(c *gin.Context) {
	// Authorize before reading a byte of the body, so a stranger cannot make the server spool
	// an upload to disk.
	if err := a.workspaces.Authorize(c.Request.Context(), c.Param("wid"), userID(c), authz.DocumentUpload); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		abortWithError(c, a.log, errNotMultipart)
		return
	}
	if err := c.Request.ParseMultipartForm(uploadMemory); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			abortWithError(c, a.log, errUploadTooBig)
			return
		}
		abortWithError(c, a.log, errBadMultipart)
		return
	}
	form := c.Request.MultipartForm
	defer func() { _ = form.RemoveAll() }()

	var fields apperr.Fields
	for name, values := range form.Value {
		if !uploadFormFields[name] {
			fields.Add(name, "is not a known field")
		} else if len(values) != 1 {
			fields.Add(name, "must be given once")
		}
	}
	for name := range form.File {
		if name != "file" {
			fields.Add(name, "is not a known field")
		}
	}
	files := form.File["file"]
	if len(files) != 1 {
		abortWithError(c, a.log, errNeedOneFile)
		return
	}
	in := document.UploadInput{Name: files[0].Filename}
	if t := form.Value["title"]; len(t) == 1 {
		in.Title = t[0]
	}
	if e := form.Value["expiresAt"]; len(e) == 1 && e[0] != "" {
		t, err := time.Parse(time.RFC3339Nano, e[0])
		if err != nil {
			fields.Add("expiresAt", "must be an RFC 3339 time such as 2026-05-01T09:00:00Z")
		}
		in.ExpiresAt = &t
	}
	if err := fields.Err(); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	f, err := openPart(files[0])
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	defer f.Close()
	in.Content = f
	d, err := a.documents.Upload(c.Request.Context(), userID(c), c.Param("wid"), in)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Location", "/api/v1/workspaces/"+d.WorkspaceID+"/documents/"+d.ID)
	writeDocument(c, http.StatusCreated, d)
}

func openPart(fh *multipart.FileHeader) (multipart.File, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open uploaded part: %w", err)
	}
	return f, nil
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
	writeProblem(w.c, status, code, detail, nil)
}

// Write drops ServeContent's own body of a replaced answer.
func (w *contentProblems) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
