// Package memory holds an in-memory document.Repository and document.BlobStore for unit tests,
// and the reference implementations the contract suites in documenttest are checked against.
package memory

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/platform/versioned"
)

// Store is a goroutine-safe in-memory document repository.
type Store struct {
	mu   sync.Mutex
	docs map[string]document.Document
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{docs: map[string]document.Document{}} }

var _ document.Repository = (*Store)(nil)

// Create stores new metadata.
func (s *Store) Create(_ context.Context, d document.Document) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.docs[d.ID]; ok {
		return errors.New("memory: duplicate document id")
	}
	s.docs[d.ID] = d.Clone()
	return nil
}

// Get returns one document of the workspace.
func (s *Store) Get(_ context.Context, workspaceID, id string) (document.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(workspaceID, id)
}

// get returns a copy of the stored document; the caller holds the lock.
func (s *Store) get(workspaceID, id string) (document.Document, error) {
	d, ok := s.docs[id]
	if !ok || d.WorkspaceID != workspaceID {
		return document.Document{}, document.ErrNotFound
	}
	return d.Clone(), nil
}

// Update is the compare-and-set of platform/versioned under the store's lock, so it never
// loses a race.
func (s *Store) Update(_ context.Context, workspaceID, id string, change func(*document.Document) (bool, error)) (document.Document, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	load := func() (document.Document, error) { return s.get(workspaceID, id) }
	return versioned.Update(versioned.InMemory(s.docs, id, load), change)
}

// Delete removes one document.
func (s *Store) Delete(_ context.Context, workspaceID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok || d.WorkspaceID != workspaceID {
		return document.ErrNotFound
	}
	delete(s.docs, id)
	return nil
}

// List returns a page of the workspace's documents, newest first.
func (s *Store) List(_ context.Context, workspaceID string, q document.Query) ([]document.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Limit < 1 {
		return nil, nil
	}
	text := strings.ToLower(q.Text)
	var out []document.Document
	for _, d := range s.docs {
		switch {
		case d.WorkspaceID != workspaceID:
		case len(q.ExpiryStatuses) > 0 && !slices.Contains(q.ExpiryStatuses, d.ExpiryStatus):
		case text != "" && !strings.Contains(strings.ToLower(d.Name), text) && !strings.Contains(strings.ToLower(d.Title), text):
		case q.After != nil && compareNewestFirst(d, *q.After) >= 0:
		default:
			out = append(out, d.Clone())
		}
	}
	slices.SortFunc(out, func(a, b document.Document) int {
		return -compareNewestFirst(a, document.Position{CreatedAt: b.CreatedAt.UnixMilli(), ID: b.ID})
	})
	return out[:min(q.Limit, len(out))], nil
}

// compareNewestFirst orders d against position p by (createdAt ms, id): negative when d is
// older, so "after p in newest-first order" is a negative result.
func compareNewestFirst(d document.Document, p document.Position) int {
	return cmp.Or(cmp.Compare(d.CreatedAt.UnixMilli(), p.CreatedAt), strings.Compare(d.ID, p.ID))
}

// StaleExpiry returns documents whose stored status differs from the one computed at now.
func (s *Store) StaleExpiry(_ context.Context, now time.Time, window time.Duration, limit int) ([]document.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []document.Document
	for _, d := range s.docs {
		if len(out) >= limit {
			break
		}
		if d.ExpiryStatus != document.ExpiryStatusAt(d.ExpiresAt, now, window) {
			out = append(out, d.Clone())
		}
	}
	return out, nil
}

// SetExpiryStatus moves the stored status if it and the expiry are still as expected.
func (s *Store) SetExpiryStatus(_ context.Context, workspaceID, id string, from, to document.ExpiryStatus, expiresAt *time.Time, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok || d.WorkspaceID != workspaceID || d.ExpiryStatus != from || !sameTime(d.ExpiresAt, expiresAt) {
		return false, nil
	}
	d.ExpiryStatus, d.UpdatedAt, d.Version = to, at, d.Version+1
	s.docs[id] = d
	return true, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// CountByExpiryStatus counts a workspace's documents per stored status.
func (s *Store) CountByExpiryStatus(_ context.Context, workspaceID string) (map[document.ExpiryStatus]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[document.ExpiryStatus]int{}
	for _, d := range s.docs {
		if d.WorkspaceID == workspaceID {
			counts[d.ExpiryStatus]++
		}
	}
	return counts, nil
}

// Blobs is a goroutine-safe in-memory blob store.
type Blobs struct {
	mu    sync.Mutex
	blobs map[string]storedBlob
}

type storedBlob struct {
	meta document.Blob
	data []byte
}

// NewBlobs returns an empty blob store.
func NewBlobs() *Blobs { return &Blobs{blobs: map[string]storedBlob{}} }

var _ document.BlobStore = (*Blobs)(nil)

// Put reads r whole (at most maxBytes+1 bytes of it) and keeps it if it is within the limit.
func (b *Blobs) Put(_ context.Context, id string, r io.Reader, maxBytes int64) (document.Blob, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	switch {
	case err != nil:
		return document.Blob{}, err
	case int64(len(data)) > maxBytes:
		return document.Blob{}, document.ErrTooLarge
	case len(data) == 0:
		return document.Blob{}, document.ErrEmptyFile
	}
	sum := sha256.Sum256(data)
	meta := document.Blob{
		ID: id, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		ContentType: http.DetectContentType(data[:min(512, len(data))]),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blobs[id]; ok {
		return document.Blob{}, errors.New("memory: duplicate blob id")
	}
	b.blobs[id] = storedBlob{meta: meta, data: data}
	return meta, nil
}

// Open returns the stored content.
func (b *Blobs) Open(_ context.Context, id string) (document.Content, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	blob, ok := b.blobs[id]
	if !ok {
		return nil, document.ErrNotFound
	}
	return content{Reader: bytes.NewReader(blob.data)}, nil
}

// Delete removes the content, if any.
func (b *Blobs) Delete(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.blobs, id)
	return nil
}

// Len returns how many blobs are stored, for tests that check nothing is left behind.
func (b *Blobs) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.blobs)
}

type content struct{ *bytes.Reader }

func (content) Close() error { return nil }
