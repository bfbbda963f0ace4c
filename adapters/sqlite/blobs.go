package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/workspaceops/workspaceops/modules/document"
)

// DefaultBlobChunkSize is the size of every chunk of a blob but its last. A chunk is one row:
// one write per 256 KiB while uploading, one read per 256 KiB (or less, for a range) while
// downloading, and never more than one chunk in memory per stream.
const DefaultBlobChunkSize = 256 << 10

// Blobs is the document.BlobStore: content in blob_chunks, one row per chunk, and a row in
// blobs once the content is complete.
type Blobs struct {
	db        *DB
	chunkSize int
}

var _ document.BlobStore = (*Blobs)(nil)

// NewBlobs returns the blob store on db, writing DefaultBlobChunkSize chunks.
func NewBlobs(db *DB) *Blobs { return NewBlobsWithChunkSize(db, DefaultBlobChunkSize) }

// NewBlobsWithChunkSize returns the blob store on db writing chunks of n bytes (tests use small
// ones to cross chunk boundaries); n below 1 means DefaultBlobChunkSize. Each blob records its
// chunk size, so blobs written with another size stay readable.
func NewBlobsWithChunkSize(db *DB, n int) *Blobs {
	if n < 1 {
		n = DefaultBlobChunkSize
	}
	return &Blobs{db: db, chunkSize: n}
}

// Put streams r into chunks as it reads, hashing and counting, and refuses content beyond
// maxBytes (ErrTooLarge, detected on the first byte over) or none (ErrEmptyFile). Each chunk is
// its own short write, so a slow upload never holds the database's one writer; the blob's row
// is written last. On any failure the chunks written are removed, even if ctx is done by then.
func (b *Blobs) Put(ctx context.Context, id string, r io.Reader, maxBytes int64) (document.Blob, error) {
	if _, err := b.db.exec(ctx, b.db.w, "INSERT INTO blob_uploads (id, started_at) VALUES (?, ?)", id, ms(time.Now())); err != nil {
		if isUnique(err) {
			return document.Blob{}, fmt.Errorf("sqlite: blob %s is being uploaded already", id)
		}
		return document.Blob{}, fmt.Errorf("sqlite: record upload: %w", err)
	}
	blob, err := b.put(ctx, id, r, maxBytes)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if cerr := b.db.abandonUpload(cctx, id); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return document.Blob{}, err
	}
	return blob, nil
}

func (b *Blobs) put(ctx context.Context, id string, r io.Reader, maxBytes int64) (document.Blob, error) {
	limit := maxBytes
	if limit < math.MaxInt64 {
		limit++ // read one byte more than allowed to notice content that is too large
	}
	src := io.LimitReader(r, limit)
	buf := make([]byte, b.chunkSize)
	hash := sha256.New()
	var (
		size int64
		n    int64  // chunks stored so far
		head []byte // the first 512 bytes, what content sniffing reads
	)
	for {
		got, err := io.ReadFull(src, buf)
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			return document.Blob{}, fmt.Errorf("sqlite: read content: %w", err)
		}
		if got > 0 {
			if size += int64(got); size > maxBytes {
				return document.Blob{}, document.ErrTooLarge
			}
			if len(head) < 512 {
				head = append(head, buf[:min(got, 512-len(head))]...)
			}
			hash.Write(buf[:got])
			if _, err := b.db.exec(ctx, b.db.w, "INSERT INTO blob_chunks (blob_id, n, data) VALUES (?, ?, ?)", id, n, buf[:got]); err != nil {
				return document.Blob{}, fmt.Errorf("sqlite: insert blob chunk: %w", err)
			}
			n++
		}
		if last {
			break
		}
	}
	if size == 0 {
		return document.Blob{}, document.ErrEmptyFile
	}
	contentType := http.DetectContentType(head)
	blob := document.Blob{ID: id, Size: size, SHA256: hex.EncodeToString(hash.Sum(nil)), ContentType: contentType}
	err := b.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := b.db.exec(ctx, tx, "INSERT INTO blobs (id, size, sha256, content_type, chunk_size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			id, size, blob.SHA256, contentType, b.chunkSize, ms(time.Now())); err != nil {
			return fmt.Errorf("sqlite: insert blob: %w", err)
		}
		if _, err := b.db.exec(ctx, tx, "DELETE FROM blob_uploads WHERE id = ?", id); err != nil {
			return fmt.Errorf("sqlite: finish upload: %w", err)
		}
		return nil
	})
	return blob, err
}

// abandonUpload removes the chunks of an upload that did not complete, and its record.
func (d *DB) abandonUpload(ctx context.Context, id string) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := d.exec(ctx, tx, "DELETE FROM blob_chunks WHERE blob_id = ?", id); err != nil {
			return fmt.Errorf("sqlite: remove chunks of a failed upload: %w", err)
		}
		_, err := d.exec(ctx, tx, "DELETE FROM blob_uploads WHERE id = ?", id)
		return err
	})
}

// removeOrphanChunks removes the chunks of uploads a crash interrupted. It runs at start, when
// the directory lock guarantees no upload is in progress.
func (d *DB) removeOrphanChunks(ctx context.Context) error {
	var ids []string
	err := d.each(ctx, d.w, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, "SELECT id FROM blob_uploads")
	if err != nil {
		return fmt.Errorf("sqlite: list interrupted uploads: %w", err)
	}
	for _, id := range ids {
		if err := d.abandonUpload(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Open returns the blob for reading. Reads fetch one chunk at a time; seeking only moves the
// offset, so a range request reads just the chunks it needs.
func (b *Blobs) Open(ctx context.Context, id string) (document.Content, error) {
	c := &blobContent{ctx: ctx, db: b.db, id: id, cur: -1}
	err := b.db.queryRow(ctx, b.db.r, "SELECT size, chunk_size FROM blobs WHERE id = ?", id).Scan(&c.size, &c.chunkSize)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, document.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("sqlite: find blob: %w", err)
	case c.chunkSize <= 0:
		return nil, fmt.Errorf("sqlite: blob %s has no chunk size", id)
	}
	return c, nil
}

// Delete removes the blob and its chunks in one transaction. Missing content is not an error.
func (b *Blobs) Delete(ctx context.Context, id string) error {
	return b.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := b.db.exec(ctx, tx, "DELETE FROM blobs WHERE id = ?", id); err != nil {
			return fmt.Errorf("sqlite: delete blob: %w", err)
		}
		if _, err := b.db.exec(ctx, tx, "DELETE FROM blob_chunks WHERE blob_id = ?", id); err != nil {
			return fmt.Errorf("sqlite: delete blob chunks: %w", err)
		}
		return nil
	})
}

// blobContent reads a blob chunk by chunk: it holds at most the current chunk.
type blobContent struct {
	ctx       context.Context
	db        *DB
	id        string
	size      int64
	chunkSize int64
	off       int64
	cur       int64 // the chunk in buf, -1 for none
	buf       []byte
}

func (c *blobContent) Size() int64 { return c.size }

func (c *blobContent) Read(p []byte) (int, error) {
	if c.off >= c.size {
		return 0, io.EOF
	}
	n := c.off / c.chunkSize
	if n != c.cur {
		if err := c.load(n); err != nil {
			return 0, err
		}
	}
	start := c.off - n*c.chunkSize
	if start >= int64(len(c.buf)) {
		return 0, fmt.Errorf("sqlite: blob %s: chunk %d is shorter than its size says", c.id, n)
	}
	got := copy(p, c.buf[start:])
	c.off += int64(got)
	return got, nil
}

func (c *blobContent) load(n int64) error {
	c.buf = c.buf[:0]
	err := c.db.queryRow(c.ctx, c.db.r, "SELECT data FROM blob_chunks WHERE blob_id = ? AND n = ?", c.id, n).Scan(&c.buf)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: blob %s: chunk %d is missing", c.id, n)
	}
	if err != nil {
		return fmt.Errorf("sqlite: read blob chunk: %w", err)
	}
	c.cur = n
	return nil
}

func (c *blobContent) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += c.off
	case io.SeekEnd:
		offset += c.size
	default:
		return 0, errors.New("sqlite: seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("sqlite: seek: negative position")
	}
	c.off = offset
	return offset, nil
}

func (c *blobContent) Close() error {
	c.buf = nil
	return nil
}
