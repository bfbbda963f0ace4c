package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/workspaceops/workspaceops/modules/document"
)

// DefaultBlobChunkSize is the size of every chunk of a blob but its last: 1 MiB, four times
// the GridFS default, because on the embedded store every chunk read costs a pass over the
// whole chunks collection (see Blobs). GridFS records the chunk size per file, so blobs
// written with another size stay readable.
const DefaultBlobChunkSize = 1 << 20

// Blobs is the document.BlobStore on GridFS, bucket "blobs": collections blobs.files and
// blobs.chunks in the GridFS layout, so GridFS tools and the driver's GridFSBucket read what it
// stores, and it reads what they store. It writes and reads the chunks itself rather than
// through the driver's streams, for two reasons. The driver's download stream cannot seek
// (only Skip forward), and it finds a file's chunks with a {files_id} query, which the embedded
// store answers by decoding every chunk of every file in Go: measured with 80 MB stored,
// opening a 4 MB file took 2 s, and a range request would pay that again. Here each chunk's
// _id is "<file id>#<n>", so seeking is free and reading a chunk is one {_id} lookup: an index
// lookup on MongoDB, and on the embedded store a pass over the collection inside SQLite (its
// _id index is built on another expression than the one its _id query uses, so SQLite parses
// every stored chunk), about 4x cheaper per stored byte than the Go-side filter but still
// growing with everything stored: the embedded store suits small blob volumes only. Chunks
// that other GridFS writers stored under ObjectIDs are still read, through the slower
// {files_id, n} query.
//
// A file's chunks are written first and its files document last, so a blob is visible only
// once complete; a failed Put removes the chunks it wrote. Only a process dying mid-Put leaves
// chunks without a files document behind (unreachable, and harmless but for their space).
type Blobs struct {
	files     *mongodriver.Collection
	chunks    *mongodriver.Collection
	chunkSize int
}

var _ document.BlobStore = (*Blobs)(nil)

// NewBlobs returns the blob store on db, writing DefaultBlobChunkSize chunks; EnsureIndexes
// must have run on db.
func NewBlobs(db *mongodriver.Database) *Blobs {
	return NewBlobsWithChunkSize(db, DefaultBlobChunkSize)
}

// NewBlobsWithChunkSize returns the blob store on db writing chunks of n bytes (tests use small
// ones to cross chunk boundaries); n below 1 means DefaultBlobChunkSize. (A separate
// constructor rather than options: wire would ask for a provider of a variadic parameter.)
func NewBlobsWithChunkSize(db *mongodriver.Database, n int) *Blobs {
	if n < 1 {
		n = DefaultBlobChunkSize
	}
	return &Blobs{files: db.Collection(blobsBucket + ".files"), chunks: db.Collection(blobsBucket + ".chunks"), chunkSize: n}
}

// blobFileDoc is a GridFS files document; metadata holds what Put learnt about the content.
type blobFileDoc struct {
	ID         string    `bson:"_id"`
	Length     int64     `bson:"length"`
	ChunkSize  int32     `bson:"chunkSize"`
	UploadDate time.Time `bson:"uploadDate"`
	Filename   string    `bson:"filename"`
	Metadata   struct {
		SHA256      string `bson:"sha256"`
		ContentType string `bson:"contentType"`
	} `bson:"metadata"`
}

// blobChunkDoc is a GridFS chunks document as Put writes it.
type blobChunkDoc struct {
	ID      string `bson:"_id"`
	FilesID string `bson:"files_id"`
	N       int32  `bson:"n"`
	Data    []byte `bson:"data"`
}

// blobChunkRead is a GridFS chunks document as read: any writer's, whatever its _id.
type blobChunkRead struct {
	FilesID string `bson:"files_id"`
	N       int64  `bson:"n"`
	Data    []byte `bson:"data"`
}

// chunkKey is the _id of chunk n of file id. Readers check files_id and n too, so an id that
// contains '#' cannot reach another file's chunks.
func chunkKey(id string, n int64) string { return id + "#" + strconv.FormatInt(n, 10) }

// Put streams r into chunks as it reads, hashing and counting, and refuses content beyond
// maxBytes (ErrTooLarge, detected on the first byte over) or none (ErrEmptyFile). On any
// failure it deletes the chunks it wrote, even if ctx is done by then.
func (b *Blobs) Put(ctx context.Context, id string, r io.Reader, maxBytes int64) (document.Blob, error) {
	limit := maxBytes
	if limit < math.MaxInt64 {
		limit++ // read one byte more than allowed to notice content that is too large
	}
	src := io.LimitReader(r, limit)
	buf := make([]byte, b.chunkSize)
	hash := sha256.New()
	var (
		size        int64
		written     int64 // chunks stored so far
		contentType string
	)
	fail := func(err error) (document.Blob, error) {
		if cerr := b.removeChunks(ctx, id, written); cerr != nil {
			err = errors.Join(err, storeError("mongo: remove chunks of a failed upload: %w", cerr))
		}
		return document.Blob{}, err
	}
	for {
		n, err := io.ReadFull(src, buf)
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			return fail(fmt.Errorf("mongo: read content: %w", err)) // the client's upload, not the store
		}
		if n > 0 {
			if size += int64(n); size > maxBytes {
				return fail(document.ErrTooLarge)
			}
			if written == 0 {
				contentType = http.DetectContentType(buf[:min(n, 512)])
			}
			hash.Write(buf[:n])
			chunk := blobChunkDoc{ID: chunkKey(id, written), FilesID: id, N: int32(written), Data: buf[:n]}
			if _, err := b.chunks.InsertOne(ctx, chunk); err != nil {
				return fail(storeError("mongo: insert blob chunk: %w", err))
			}
			written++
		}
		if last {
			break
		}
	}
	if size == 0 {
		return document.Blob{}, document.ErrEmptyFile
	}
	blob := document.Blob{ID: id, Size: size, SHA256: hex.EncodeToString(hash.Sum(nil)), ContentType: contentType}
	f := blobFileDoc{ID: id, Length: size, ChunkSize: int32(b.chunkSize), UploadDate: time.Now().UTC(), Filename: id}
	f.Metadata.SHA256, f.Metadata.ContentType = blob.SHA256, blob.ContentType
	if _, err := b.files.InsertOne(ctx, f); err != nil {
		return fail(storeError("mongo: insert blob file: %w", err))
	}
	return blob, nil
}

// removeChunks deletes the chunks a failed Put wrote (count of them), in a context that
// outlives ctx's cancellation: an abandoned upload must still be cleaned up. Its first chunk
// was inserted, so no complete blob with this id existed whose chunks this could take along.
func (b *Blobs) removeChunks(ctx context.Context, id string, count int64) error {
	if count == 0 {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return b.deleteChunks(cctx, id)
}

// deleteChunks deletes every chunk of file id in one command: fewer passes over the collection
// on the embedded store than one delete per chunk, and the files_id index on MongoDB.
func (b *Blobs) deleteChunks(ctx context.Context, id string) error {
	_, err := b.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}})
	return err
}

// Open returns the blob for reading. Reads fetch one chunk at a time, by _id, with ctx; seeking
// only moves the offset, so a range request reads just the chunks it needs.
func (b *Blobs) Open(ctx context.Context, id string) (document.Content, error) {
	var f blobFileDoc
	if err := b.files.FindOne(ctx, byID(id)).Decode(&f); err != nil {
		if isNoDocuments(err) {
			return nil, document.ErrNotFound
		}
		return nil, storeError("mongo: find blob file: %w", err)
	}
	if f.Length > 0 && f.ChunkSize <= 0 {
		return nil, fmt.Errorf("mongo: blob %s has no chunk size", id)
	}
	return &blobContent{ctx: ctx, chunks: b.chunks, id: id, size: f.Length, chunkSize: int64(f.ChunkSize), cur: -1}, nil
}

// Delete removes the chunks and then the files document, so an interrupted delete is completed
// by calling it again. Missing content is not an error.
func (b *Blobs) Delete(ctx context.Context, id string) error {
	if err := b.deleteChunks(ctx, id); err != nil {
		return storeError("mongo: delete blob chunks: %w", err)
	}
	if _, err := b.files.DeleteOne(ctx, byID(id)); err != nil {
		return storeError("mongo: delete blob file: %w", err)
	}
	return nil
}

var errContentClosed = errors.New("mongo: read from closed blob content")

// blobContent reads a blob chunk by chunk, keeping the current chunk.
type blobContent struct {
	ctx       context.Context
	chunks    *mongodriver.Collection
	id        string
	size      int64
	chunkSize int64
	off       int64  // the next byte Read returns
	cur       int64  // index of the chunk in data, -1 for none
	data      []byte // chunk cur
	closed    bool
}

func (c *blobContent) Size() int64 { return c.size }

func (c *blobContent) Read(p []byte) (int, error) {
	switch {
	case c.closed:
		return 0, errContentClosed
	case c.off >= c.size:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	n := c.off / c.chunkSize
	if n != c.cur {
		if err := c.load(n); err != nil {
			return 0, err
		}
	}
	k := copy(p, c.data[c.off-n*c.chunkSize:])
	c.off += int64(k)
	return k, nil
}

// load fetches chunk n and checks it is the one expected, of the expected size.
func (c *blobContent) load(n int64) error {
	var d blobChunkRead
	err := c.chunks.FindOne(c.ctx, byID(chunkKey(c.id, n))).Decode(&d)
	if isNoDocuments(err) {
		// A chunk another GridFS writer stored under an ObjectID.
		err = c.chunks.FindOne(c.ctx, bson.D{{Key: "files_id", Value: c.id}, {Key: "n", Value: n}}).Decode(&d)
	}
	if err != nil {
		if isNoDocuments(err) {
			return fmt.Errorf("mongo: blob %s is missing chunk %d", c.id, n)
		}
		return storeError("mongo: read blob chunk: %w", err)
	}
	want := min(c.chunkSize, c.size-n*c.chunkSize)
	if d.FilesID != c.id || d.N != n || int64(len(d.Data)) != want {
		return fmt.Errorf("mongo: blob %s chunk %d is corrupt", c.id, n)
	}
	c.cur, c.data = n, d.Data
	return nil
}

func (c *blobContent) Seek(offset int64, whence int) (int64, error) {
	if c.closed {
		return 0, errContentClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = c.off + offset
	case io.SeekEnd:
		abs = c.size + offset
	default:
		return 0, errors.New("mongo: seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("mongo: seek: negative position")
	}
	c.off = abs
	return abs, nil
}

func (c *blobContent) Close() error {
	c.closed, c.data = true, nil
	return nil
}
