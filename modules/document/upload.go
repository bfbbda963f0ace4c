package document

import (
	"context"
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
// (defaults to the name) and expiry, and the content.
type UploadInput struct {
	Name      string
	Title     string
	ExpiresAt *time.Time
	Content   io.Reader
}

// Upload stores a new document. It authorizes and validates before reading a byte, stores the
// content, then the metadata; if the metadata cannot be stored the content is removed again.
func (s *Service) Upload(ctx context.Context, actorID, workspaceID string, in UploadInput) (Document, error) {
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
	if in.Content == nil {
		return Document{}, ErrEmptyFile
	}

	blob, err := s.blobs.Put(ctx, ids.New(), in.Content, s.maxSize)
	if err != nil {
		return Document{}, fmt.Errorf("store content: %w", err)
	}
	d := Document{
		ID: ids.New(), WorkspaceID: workspaceID, Name: name, Title: title,
		Size: blob.Size, ContentType: blob.ContentType, SHA256: blob.SHA256, BlobID: blob.ID,
		UploadedBy: actorID, CreatedAt: now, UpdatedAt: now, ExpiresAt: expiresAt,
		ExpiryStatus: ExpiryStatusAt(expiresAt, now, s.window), Version: 1,
	}
	if err := s.repo.Create(ctx, d); err != nil {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		if derr := s.blobs.Delete(cctx, blob.ID); derr != nil {
			s.log.ErrorContext(ctx, "orphaned document content after a failed create",
				slog.String("workspace_id", workspaceID), slog.String("blob_id", blob.ID), slog.Any("error", derr))
		}
		return Document{}, fmt.Errorf("create document: %w", err)
	}
	s.publish(ctx, events.DocumentUploaded, d, actorID, now, map[string]any{"name": d.Name, "size": d.Size})
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
