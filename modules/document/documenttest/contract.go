// Package documenttest holds the contracts every document.Repository and document.BlobStore
// implementation must meet, run against the in-memory ones and the MongoDB adapters alike.
package documenttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/platform/ids"
)

var (
	ctx = context.Background()
	// Millisecond precision: what MongoDB stores.
	t0     = time.Date(2026, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
	window = 7 * 24 * time.Hour
)

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

// newDoc returns a document of workspace wid created at t0+age, with its stored status
// computed at t0.
func newDoc(wid string, age time.Duration, expiresAt *time.Time) document.Document {
	return document.Document{
		ID: ids.New(), WorkspaceID: wid, Name: "report.pdf", Title: "Report",
		Size: 42, ContentType: "application/pdf", SHA256: strings.Repeat("ab", 32), BlobID: ids.New(),
		UploadedBy: ids.New(), CreatedAt: t0.Add(age), UpdatedAt: t0.Add(age), ExpiresAt: expiresAt,
		ExpiryStatus: document.ExpiryStatusAt(expiresAt, t0, window), Version: 1,
	}
}

func create(t *testing.T, repo document.Repository, d document.Document) document.Document {
	t.Helper()
	if err := repo.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func sameDoc(t *testing.T, got, want document.Document) {
	t.Helper()
	same := got.ID == want.ID && got.WorkspaceID == want.WorkspaceID && got.Name == want.Name &&
		got.Title == want.Title && got.Size == want.Size && got.ContentType == want.ContentType &&
		got.SHA256 == want.SHA256 && got.BlobID == want.BlobID && got.UploadedBy == want.UploadedBy &&
		got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt) &&
		sameTime(got.ExpiresAt, want.ExpiresAt) && got.ExpiryStatus == want.ExpiryStatus && got.Version == want.Version
	if !same {
		t.Fatalf("document = %+v\nwant       %+v", got, want)
	}
	if got.CreatedAt.Location() != time.UTC || (got.ExpiresAt != nil && got.ExpiresAt.Location() != time.UTC) {
		t.Fatalf("times not in UTC: %+v", got)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func idsOf(docs []document.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

// RepositoryContract runs the contract against repositories made by newRepo; each call must
// return an empty repository.
func RepositoryContract(t *testing.T, newRepo func(t *testing.T) document.Repository) {
	t.Run("create, get, delete", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		d := create(t, repo, newDoc(wid, 0, at(30*24*time.Hour)))
		bare := create(t, repo, newDoc(wid, time.Second, nil))
		got, err := repo.Get(ctx, wid, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameDoc(t, got, d)
		got, err = repo.Get(ctx, wid, bare.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameDoc(t, got, bare)
		if _, err := repo.Get(ctx, ids.New(), d.ID); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Get through another workspace: %v", err)
		}
		if _, err := repo.Get(ctx, wid, ids.New()); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Get missing: %v", err)
		}
		if err := repo.Delete(ctx, ids.New(), d.ID); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Delete through another workspace: %v", err)
		}
		if err := repo.Delete(ctx, wid, d.ID); err != nil {
			t.Fatal(err)
		}
		if err := repo.Delete(ctx, wid, d.ID); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("second Delete: %v", err)
		}
		if _, err := repo.Get(ctx, wid, d.ID); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Get deleted: %v", err)
		}
	})

	t.Run("update writes changes, bumps the version, and can decline", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		d := create(t, repo, newDoc(wid, 0, nil))
		got, changed, err := repo.Update(ctx, wid, d.ID, func(x *document.Document) (bool, error) {
			x.Title = "New title"
			x.ExpiresAt = at(time.Hour)
			x.ExpiryStatus = document.ExpiringSoon
			x.UpdatedAt = t0.Add(time.Minute)
			return true, nil
		})
		if err != nil || !changed {
			t.Fatalf("Update = %v, %v", changed, err)
		}
		want := d
		want.Title, want.ExpiresAt, want.ExpiryStatus, want.UpdatedAt, want.Version = "New title", at(time.Hour), document.ExpiringSoon, t0.Add(time.Minute), 2
		sameDoc(t, got, want)
		stored, _ := repo.Get(ctx, wid, d.ID)
		sameDoc(t, stored, want)

		got, changed, err = repo.Update(ctx, wid, d.ID, func(x *document.Document) (bool, error) {
			x.Title = "not written"
			return false, nil
		})
		if err != nil || changed || got.Title != "New title" || got.Version != 2 {
			t.Fatalf("declined Update = %+v, %v, %v", got, changed, err)
		}
		boom := errors.New("boom")
		if _, _, err := repo.Update(ctx, wid, d.ID, func(*document.Document) (bool, error) { return true, boom }); !errors.Is(err, boom) {
			t.Fatalf("failing change: %v", err)
		}
		_, _, err = repo.Update(ctx, wid, d.ID, func(x *document.Document) (bool, error) {
			x.ExpiresAt = nil
			x.ExpiryStatus = document.Valid
			return true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		stored, _ = repo.Get(ctx, wid, d.ID)
		if stored.ExpiresAt != nil || stored.ExpiryStatus != document.Valid || stored.Version != 3 || stored.Title != "New title" {
			t.Fatalf("after clearing the expiry: %+v", stored)
		}
		// A change cannot move the document or choose its version.
		got, _, err = repo.Update(ctx, wid, d.ID, func(x *document.Document) (bool, error) {
			x.ID, x.WorkspaceID, x.Version = ids.New(), ids.New(), 99
			return true, nil
		})
		if err != nil || got.ID != d.ID || got.WorkspaceID != wid || got.Version != 4 {
			t.Fatalf("Update of a change that moves the document = %+v, %v", got, err)
		}
		if stored, err = repo.Get(ctx, wid, d.ID); err != nil || stored.Version != 4 {
			t.Fatalf("after a change that moves the document: %+v, %v", stored, err)
		}
		for _, wrong := range [][2]string{{ids.New(), d.ID}, {wid, ids.New()}} {
			if _, _, err := repo.Update(ctx, wrong[0], wrong[1], func(*document.Document) (bool, error) { return true, nil }); !errors.Is(err, document.ErrNotFound) {
				t.Fatalf("Update of a missing document: %v", err)
			}
		}
	})

	t.Run("concurrent updates: a version check has exactly one winner, plain changes all land", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		d := create(t, repo, newDoc(wid, 0, nil))
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = repo.Update(ctx, wid, d.ID, func(x *document.Document) (bool, error) {
					if x.Version != 1 {
						return false, document.ErrVersionConflict
					}
					x.Title = fmt.Sprint("winner ", i)
					return true, nil
				})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, document.ErrVersionConflict):
				t.Fatalf("unexpected: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d updates of version 1 succeeded, want 1", won)
		}
		for range n {
			wg.Go(func() {
				_, _, err := repo.Update(ctx, wid, d.ID, func(x *document.Document) (bool, error) {
					x.Title += "+"
					return true, nil
				})
				if err != nil && !errors.Is(err, document.ErrConflict) {
					t.Errorf("unexpected: %v", err)
				}
			})
		}
		wg.Wait()
		got, _ := repo.Get(ctx, wid, d.ID)
		if plus := strings.Count(got.Title, "+"); int64(plus) != got.Version-2 || plus == 0 {
			t.Fatalf("title %q at version %d: an update was lost", got.Title, got.Version)
		}
	})

	t.Run("list filters and pages newest first", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		var all []document.Document
		for i := range 7 {
			d := newDoc(wid, time.Duration(i)*time.Second, nil)
			d.Name, d.Title = fmt.Sprintf("file-%d.txt", i), fmt.Sprintf("Title %d", i)
			switch i % 3 {
			case 1:
				d.ExpiresAt, d.ExpiryStatus = at(time.Hour), document.ExpiringSoon
			case 2:
				d.ExpiresAt, d.ExpiryStatus = at(-time.Hour), document.Expired
			}
			all = append(all, create(t, repo, d))
		}
		// Two documents created in the same millisecond are ordered by id.
		twinA, twinB := newDoc(wid, 3500*time.Millisecond, nil), newDoc(wid, 3500*time.Millisecond, nil)
		twinA.ID, twinB.ID = "000000000000000000000001", "000000000000000000000002"
		create(t, repo, twinA)
		create(t, repo, twinB)
		create(t, repo, newDoc(ids.New(), 0, nil)) // another workspace's document stays out

		want := []string{all[6].ID, all[5].ID, all[4].ID, twinB.ID, twinA.ID, all[3].ID, all[2].ID, all[1].ID, all[0].ID}
		if got := pageThrough(t, repo, wid, document.Query{Limit: 2}); !slices.Equal(got, want) {
			t.Fatalf("paged %v\nwant  %v", got, want)
		}
		got, err := repo.List(ctx, wid, document.Query{ExpiryStatuses: []document.ExpiryStatus{document.ExpiringSoon, document.Expired}, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if w := []string{all[5].ID, all[4].ID, all[2].ID, all[1].ID}; !slices.Equal(idsOf(got), w) {
			t.Fatalf("status filter: %v, want %v", idsOf(got), w)
		}
		for text, w := range map[string][]string{
			"FILE-4":   {all[4].ID}, // name, case-insensitive
			"title 5":  {all[5].ID}, // title
			"e-6.t":    {all[6].ID}, // a dot is a dot, not "any character"
			"e-6.*":    nil,         // regex metacharacters are literal
			"(":        nil,         // even unbalanced ones
			"nowhere!": nil,
		} {
			got, err := repo.List(ctx, wid, document.Query{Text: text, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(idsOf(got), w) {
				t.Errorf("text %q: %v, want %v", text, idsOf(got), w)
			}
		}
		got, err = repo.List(ctx, wid, document.Query{Text: "title", ExpiryStatuses: []document.ExpiryStatus{document.Valid}, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if w := []string{all[6].ID, all[3].ID}; !slices.Equal(idsOf(got), w) {
			t.Fatalf("text and status with a limit: %v, want %v", idsOf(got), w)
		}
		if got, err := repo.List(ctx, wid, document.Query{Limit: 0}); err != nil || len(got) != 0 {
			t.Fatalf("limit 0 = %v, %v", idsOf(got), err)
		}
	})

	t.Run("keyset paging stays stable while documents are added", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		var want []string
		for i := range 6 {
			want = append([]string{create(t, repo, newDoc(wid, time.Duration(i)*time.Minute, nil)).ID}, want...)
		}
		var got []string
		q := document.Query{Limit: 2}
		for range len(want) {
			page, err := repo.List(ctx, wid, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, idsOf(page)...)
			// A newer document arrives between pages: it belongs before the cursor, so it must
			// neither appear nor shift what follows.
			create(t, repo, newDoc(wid, time.Hour+time.Duration(len(got))*time.Minute, nil))
			if len(page) < q.Limit {
				break
			}
			last := page[len(page)-1]
			q.After = &document.Position{CreatedAt: last.CreatedAt.UnixMilli(), ID: last.ID}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged %v\nwant  %v", got, want)
		}
	})

	t.Run("stale expiry finds exactly the documents whose status moved", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		now := t0.Add(24 * time.Hour)
		never := create(t, repo, newDoc(wid, 0, nil))
		far := create(t, repo, newDoc(wid, 0, at(30*24*time.Hour)))
		intoWindow := create(t, repo, newDoc(wid, 0, at(24*time.Hour+window))) // exactly at the window's start at now
		justOutside := create(t, repo, newDoc(wid, 0, at(24*time.Hour+window+time.Millisecond)))
		expiring := create(t, repo, newDoc(wid, 0, at(48*time.Hour)))   // stays EXPIRING_SOON
		expiresNow := create(t, repo, newDoc(wid, 0, at(24*time.Hour))) // EXPIRING_SOON -> EXPIRED exactly at now
		expired := create(t, repo, newDoc(wid, 0, at(-time.Hour)))      // stays EXPIRED
		movedLater := newDoc(ids.New(), 0, at(60*24*time.Hour))         // stored EXPIRED, expiry moved far out
		movedLater.ExpiryStatus = document.Expired
		create(t, repo, movedLater)
		clearedSoon := newDoc(wid, 0, nil) // stored EXPIRING_SOON without an expiry any more
		clearedSoon.ExpiryStatus = document.ExpiringSoon
		create(t, repo, clearedSoon)
		_, _, _, _, _ = never, far, justOutside, expiring, expired // not stale: must not be returned

		stale, err := repo.StaleExpiry(ctx, now, window, 100)
		if err != nil {
			t.Fatal(err)
		}
		got := idsOf(stale)
		slices.Sort(got)
		want := []string{intoWindow.ID, expiresNow.ID, movedLater.ID, clearedSoon.ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("stale %v\nwant  %v", got, want)
		}
		for _, d := range stale {
			if d.ID == movedLater.ID {
				sameDoc(t, d, movedLater)
			}
		}
		if limited, err := repo.StaleExpiry(ctx, now, window, 2); err != nil || len(limited) != 2 {
			t.Fatalf("limit 2: %d documents, %v", len(limited), err)
		}
	})

	t.Run("set expiry status is a compare-and-set with one winner", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		d := create(t, repo, newDoc(wid, 0, at(time.Hour))) // EXPIRING_SOON at t0
		now := t0.Add(2 * time.Hour)
		if ok, err := repo.SetExpiryStatus(ctx, wid, d.ID, document.Valid, document.Expired, d.ExpiresAt, now); err != nil || ok {
			t.Fatalf("from a status it does not have: %v, %v", ok, err)
		}
		if ok, err := repo.SetExpiryStatus(ctx, wid, d.ID, document.ExpiringSoon, document.Expired, at(3*time.Hour), now); err != nil || ok {
			t.Fatalf("with an expiry it does not have: %v, %v", ok, err)
		}
		if ok, err := repo.SetExpiryStatus(ctx, ids.New(), d.ID, document.ExpiringSoon, document.Expired, d.ExpiresAt, now); err != nil || ok {
			t.Fatalf("through another workspace: %v, %v", ok, err)
		}
		if ok, err := repo.SetExpiryStatus(ctx, wid, ids.New(), document.ExpiringSoon, document.Expired, d.ExpiresAt, now); err != nil || ok {
			t.Fatalf("missing document: %v, %v", ok, err)
		}
		const n = 6
		moved := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				moved[i], errs[i] = repo.SetExpiryStatus(ctx, wid, d.ID, document.ExpiringSoon, document.Expired, d.ExpiresAt, now)
			})
		}
		wg.Wait()
		wins := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if moved[i] {
				wins++
			}
		}
		if wins != 1 {
			t.Fatalf("%d concurrent moves succeeded, want 1", wins)
		}
		got, _ := repo.Get(ctx, wid, d.ID)
		want := d
		want.ExpiryStatus, want.UpdatedAt, want.Version = document.Expired, now, 2
		sameDoc(t, got, want)

		bare := create(t, repo, newDoc(wid, 0, nil))
		bare.ExpiryStatus = document.Valid
		if ok, err := repo.SetExpiryStatus(ctx, wid, bare.ID, document.Valid, document.Expired, at(time.Hour), now); err != nil || ok {
			t.Fatalf("expected an expiry the document has not: %v, %v", ok, err)
		}
		if ok, err := repo.SetExpiryStatus(ctx, wid, bare.ID, document.Valid, document.ExpiringSoon, nil, now); err != nil || !ok {
			t.Fatalf("matching no expiry: %v, %v", ok, err)
		}
	})

	t.Run("count by expiry status", func(t *testing.T) {
		repo := newRepo(t)
		wid := ids.New()
		for _, e := range []*time.Time{nil, nil, at(30 * 24 * time.Hour), at(time.Hour), at(-time.Hour), at(-2 * time.Hour), at(-3 * time.Hour)} {
			create(t, repo, newDoc(wid, 0, e))
		}
		create(t, repo, newDoc(ids.New(), 0, nil))
		got, err := repo.CountByExpiryStatus(ctx, wid)
		if err != nil {
			t.Fatal(err)
		}
		if got[document.Valid] != 3 || got[document.ExpiringSoon] != 1 || got[document.Expired] != 3 {
			t.Fatalf("counts %v", got)
		}
		if got, err := repo.CountByExpiryStatus(ctx, ids.New()); err != nil || got[document.Valid]+got[document.ExpiringSoon]+got[document.Expired] != 0 {
			t.Fatalf("empty workspace counts %v, %v", got, err)
		}
	})
}

func pageThrough(t *testing.T, repo document.Repository, wid string, q document.Query) []string {
	t.Helper()
	var got []string
	for range 100 {
		page, err := repo.List(ctx, wid, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, idsOf(page)...)
		if len(page) < q.Limit {
			return got
		}
		last := page[len(page)-1]
		q.After = &document.Position{CreatedAt: last.CreatedAt.UnixMilli(), ID: last.ID}
	}
	t.Fatal("paging does not end")
	return nil
}

// BlobStoreContract runs the contract against blob stores made by newStore; each call must
// return an empty store.
func BlobStoreContract(t *testing.T, newStore func(t *testing.T) document.BlobStore) {
	t.Run("put, open, read, delete", func(t *testing.T) {
		store := newStore(t)
		data := []byte("%PDF-1.7\n" + strings.Repeat("some text of a report\n", 100))
		id := ids.New()
		b, err := store.Put(ctx, id, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if b.ID != id || b.Size != int64(len(data)) || b.SHA256 != hex.EncodeToString(sum[:]) || b.ContentType != "application/pdf" {
			t.Fatalf("blob = %+v", b)
		}
		c, err := store.Open(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size() != int64(len(data)) {
			t.Fatalf("Size = %d", c.Size())
		}
		got, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := store.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Open(ctx, id); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Open deleted: %v", err)
		}
		if err := store.Delete(ctx, id); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
		if err := store.Delete(ctx, ids.New()); err != nil {
			t.Fatalf("Delete of nothing: %v", err)
		}
		if _, err := store.Open(ctx, ids.New()); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Open missing: %v", err)
		}
	})

	t.Run("content type is sniffed", func(t *testing.T) {
		store := newStore(t)
		for data, want := range map[string]string{
			"hello, plain world":             "text/plain; charset=utf-8",
			"\x89PNG\r\n\x1a\n0000":          "image/png",
			"<html><body>hi</body></html>":   "text/html; charset=utf-8",
			"\x00\x01\x02\x03binary garbage": "application/octet-stream",
		} {
			b, err := store.Put(ctx, ids.New(), strings.NewReader(data), 1<<20)
			if err != nil || b.ContentType != want {
				t.Errorf("%q: %+v, %v; want %s", data, b, err, want)
			}
		}
	})

	t.Run("empty content is refused and nothing is kept", func(t *testing.T) {
		store := newStore(t)
		id := ids.New()
		if _, err := store.Put(ctx, id, strings.NewReader(""), 100); !errors.Is(err, document.ErrEmptyFile) {
			t.Fatalf("Put empty: %v", err)
		}
		if _, err := store.Open(ctx, id); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Open after a refused Put: %v", err)
		}
	})

	t.Run("size limit: one byte over is refused and nothing is kept, the exact limit is fine", func(t *testing.T) {
		store := newStore(t)
		for _, size := range []int{1, 1000, 600_000} { // 600 kB spans several GridFS chunks
			data := bytes.Repeat([]byte{'x'}, size+1)
			id := ids.New()
			if _, err := store.Put(ctx, id, bytes.NewReader(data), int64(size)); !errors.Is(err, document.ErrTooLarge) {
				t.Fatalf("size %d: Put one byte over: %v", size, err)
			}
			if _, err := store.Open(ctx, id); !errors.Is(err, document.ErrNotFound) {
				t.Fatalf("size %d: Open after a refused Put: %v", size, err)
			}
			b, err := store.Put(ctx, id, bytes.NewReader(data[:size]), int64(size))
			if err != nil || b.Size != int64(size) {
				t.Fatalf("size %d: Put at the limit: %+v, %v", size, b, err)
			}
		}
	})

	t.Run("a failing reader stores nothing", func(t *testing.T) {
		store := newStore(t)
		id := ids.New()
		boom := errors.New("connection reset")
		r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte{'y'}, 300_000)), errReader{boom})
		if _, err := store.Put(ctx, id, r, 1<<20); !errors.Is(err, boom) {
			t.Fatalf("Put from a failing reader: %v", err)
		}
		if _, err := store.Open(ctx, id); !errors.Is(err, document.ErrNotFound) {
			t.Fatalf("Open after a failed Put: %v", err)
		}
	})

	t.Run("seek and partial reads", func(t *testing.T) {
		store := newStore(t)
		data := make([]byte, 700_000) // several GridFS chunks
		for i := range data {
			data[i] = byte(i * 7 % 251)
		}
		id := ids.New()
		if _, err := store.Put(ctx, id, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
		c, err := store.Open(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		// What http.ServeContent does: find the size, rewind, then serve ranges.
		if end, err := c.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
			t.Fatalf("Seek end = %d, %v", end, err)
		}
		for _, r := range []struct {
			off    int64
			whence int
			abs    int64
			n      int
		}{
			{0, io.SeekStart, 0, 10},
			{300_000, io.SeekStart, 300_000, 5000},
			{-100, io.SeekCurrent, 304_900, 200},        // backwards within a chunk
			{10, io.SeekStart, 10, 400_000},             // far backwards, across chunks
			{-7, io.SeekEnd, int64(len(data)) - 7, 7},   // the tail
			{261_120 - 3, io.SeekStart, 261_120 - 3, 6}, // across a chunk boundary (255 KiB)
		} {
			pos, err := c.Seek(r.off, r.whence)
			if err != nil || pos != r.abs {
				t.Fatalf("Seek(%d, %d) = %d, %v; want %d", r.off, r.whence, pos, err, r.abs)
			}
			buf := make([]byte, r.n)
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatalf("read %d at %d: %v", r.n, r.abs, err)
			}
			if !bytes.Equal(buf, data[r.abs:r.abs+int64(r.n)]) {
				t.Fatalf("read %d at %d: wrong bytes", r.n, r.abs)
			}
		}
		if _, err := c.Seek(0, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("read at the end = %d, %v", n, err)
		}
		if _, err := c.Seek(-1, io.SeekStart); err == nil {
			t.Fatal("seeking before the start succeeded")
		}
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
