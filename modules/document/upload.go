package document

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/text"
)

// defaultName replaces a file name that sanitises to nothing.
const defaultName = "file"

// UploadInput is a new document: its file name as the client sent it, an optional title
// (defaults to the name) and expiry, and the content: a reader, or content already stored by
// Stage (for a form whose fields may follow the file).
type UploadInput struct {
	Name      string
	Title     string
	ExpiresAt *time.Time
	Content   io.Reader
	Staged    *Staged
}

// Staged is content stored before the fields of its upload are known (a multipart form may
// send them after the file): Upload turns it into a document, or Discard removes it. Streaming
// the file straight into the blob store spares holding or spooling it first.
type Staged struct {
	blob        Blob
	workspaceID string
	actorID     string
}

// Stage authorizes an upload and stores its content (at most the maximum size), for Upload
// or Discard to finish. Errors are those of Upload's content: ErrTooLarge, ErrEmptyFile.
func (s *Service) Stage(ctx context.Context, actorID, workspaceID string, content io.Reader) (*Staged, error) {
	if err := s.authorize(ctx, workspaceID, actorID, authz.DocumentUpload); err != nil {
		return nil, err
	}
	blob, err := s.blobs.Put(ctx, ids.New(), content, s.maxSize)
	if err != nil {
		return nil, fmt.Errorf("store content: %w", err)
	}
	return &Staged{blob: blob, workspaceID: workspaceID, actorID: actorID}, nil
}

// Discard removes staged content that did not become a document; it outlives ctx's end.
func (s *Service) Discard(ctx context.Context, st *Staged) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := s.blobs.Delete(cctx, st.blob.ID); err != nil {
		s.log.ErrorContext(ctx, "orphaned staged document content",
			slog.String("workspace_id", st.workspaceID), slog.String("blob_id", st.blob.ID), slog.Any("error", err))
	}
}

// Upload stores a new document. It authorizes and validates before reading a byte, stores the
// content (or takes the staged content), then the metadata; if the fields are invalid or the
// metadata cannot be stored, the content is removed again.
func (s *Service) Upload(ctx context.Context, actorID, workspaceID string, in UploadInput) (d Document, err error) {
	if st := in.Staged; st != nil {
		if st.workspaceID != workspaceID || st.actorID != actorID {
			return Document{}, errors.New("document: staged content belongs to another upload")
		}
		defer func() {
			if err != nil {
				s.Discard(ctx, st)
			}
		}()
	}
	if err := s.authorize(ctx, workspaceID, actorID, authz.DocumentUpload); err != nil {
		return Document{}, err
	}
	now := s.clock.Now()
	name := SanitizeName(in.Name)
	var fields apperr.Fields
	title, msg := normalizeTitle(in.Title)
	if msg != "" {
		fields.Add("title", msg)
	}
	if title == "" {
		title = name
	}
	expiresAt, msg := normalizeExpiry(in.ExpiresAt, now)
	if msg != "" {
		fields.Add("expiresAt", msg)
	}
	if err := fields.Err(); err != nil {
		return Document{}, err
	}
	var blob Blob
	switch {
	case in.Staged != nil:
		blob = in.Staged.blob
	case in.Content == nil:
		return Document{}, ErrEmptyFile
	default:
		if blob, err = s.blobs.Put(ctx, ids.New(), in.Content, s.maxSize); err != nil {
			return Document{}, fmt.Errorf("store content: %w", err)
		}
	}
	d = Document{
		ID: ids.New(), WorkspaceID: workspaceID, Name: name, Title: title,
		Size: blob.Size, ContentType: blob.ContentType, SHA256: blob.SHA256, BlobID: blob.ID,
		UploadedBy: actorID, CreatedAt: now, UpdatedAt: now, ExpiresAt: expiresAt,
		ExpiryStatus: ExpiryStatusAt(expiresAt, now, s.window), Version: 1,
	}
	if err := s.repo.Create(ctx, d); err != nil {
		if in.Staged == nil { // staged content is discarded above
			cctx, cancel := cleanupContext(ctx)
			defer cancel()
			if derr := s.blobs.Delete(cctx, blob.ID); derr != nil {
				s.log.ErrorContext(ctx, "orphaned document content after a failed create",
					slog.String("workspace_id", workspaceID), slog.String("blob_id", blob.ID), slog.Any("error", derr))
			}
		}
		return Document{}, fmt.Errorf("create document: %w", err)
	}
	s.publish(ctx, events.NewDocumentUploaded(d.ID, d.Name, d.Size), d, actorID, now)
	return d, nil
}

// SanitizeName turns a client's file name into one safe to store and to send back in a
// Content-Disposition header: the base name only (any directory part, with / or \, dropped),
// without control or invisible formatting characters (bidi overrides included), quotes,
// semicolons or invalid UTF-8, trimmed, at most MaxNameLen bytes (cut before the extension when
// there is a short one), and "file" when nothing is left.
func SanitizeName(raw string) string {
	if i := strings.LastIndexAny(raw, `/\`); i >= 0 {
		raw = raw[i+1:]
	}
	var b strings.Builder
	for i, r := range raw {
		switch {
		case r == utf8.RuneError && isInvalidAt(raw, i):
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		case r == '"', r == ';':
		default:
			b.WriteRune(r)
		}
	}
	name := strings.TrimSpace(b.String())
	if strings.Trim(name, ".") == "" {
		return defaultName // "", ".", ".." and the like
	}
	if len(name) > MaxNameLen {
		ext := path.Ext(name)
		if len(ext) > 16 || len(ext) == len(name) {
			ext = ""
		}
		name = truncateUTF8(strings.TrimSuffix(name, ext), MaxNameLen-len(ext)) + ext
	}
	return name
}

// isInvalidAt reports whether the RuneError decoded at byte i of s stands for invalid UTF-8
// rather than a literal U+FFFD.
func isInvalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size <= 1
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// normalizeTitle trims a title and checks it; an empty result means "use the name".
func normalizeTitle(raw string) (string, string) { return text.OptionalLine(raw, MaxTitleLen) }

// normalizeExpiry checks that an expiry lies in the future and brings it to the precision and
// zone the store keeps, so the document reads back exactly as created.
func normalizeExpiry(t *time.Time, now time.Time) (*time.Time, string) {
	if t == nil {
		return nil, ""
	}
	e := t.UTC().Truncate(time.Millisecond)
	if !e.After(now) {
		return nil, "must be in the future"
	}
	return &e, ""
}
