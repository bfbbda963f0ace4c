package mongo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/document/documenttest"
	"github.com/workspaceops/workspaceops/platform/ids"
)

func TestBlobsContract(t *testing.T) {
	documenttest.BlobStoreContract(t, func(t *testing.T) document.BlobStore {
		return mongo.NewBlobs(indexedDatabase(t))
	})
}

// Small chunks of an odd size put chunk boundaries all over the contract's reads and seeks.
func TestBlobsContractSmallChunks(t *testing.T) {
	documenttest.BlobStoreContract(t, func(t *testing.T) document.BlobStore {
		return mongo.NewBlobsWithChunkSize(indexedDatabase(t), 100_003)
	})
}

func countChunks(t *testing.T, db *mongodriver.Database) int64 {
	t.Helper()
	n, err := db.Collection("blobs.chunks").CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Refused and failed uploads must leave no chunks behind, even after some were written.
func TestRefusedUploadsLeaveNoChunks(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	blobs := mongo.NewBlobsWithChunkSize(db, 256<<10)
	const limit = 700_000 // about 2.7 chunks
	over := bytes.Repeat([]byte{'x'}, limit+1)
	if _, err := blobs.Put(ctx, ids.New(), bytes.NewReader(over), limit); !errors.Is(err, document.ErrTooLarge) {
		t.Fatalf("Put over the limit: %v", err)
	}
	if n := countChunks(t, db); n != 0 {
		t.Fatalf("%d chunks left after a too-large upload", n)
	}
	cancelled, cancel := context.WithCancel(ctx)
	r := io.MultiReader(bytes.NewReader(over[:600_000]), readerFunc(func([]byte) (int, error) {
		cancel() // the client goes away mid-upload
		return 0, context.Canceled
	}))
	if _, err := blobs.Put(cancelled, ids.New(), r, limit); err == nil {
		t.Fatal("Put from an abandoned request succeeded")
	}
	if n := countChunks(t, db); n != 0 {
		t.Fatalf("%d chunks left after an abandoned upload", n)
	}
	id := ids.New()
	if _, err := blobs.Put(ctx, id, bytes.NewReader(over[:limit]), limit); err != nil {
		t.Fatal(err)
	}
	if n := countChunks(t, db); n != 3 {
		t.Fatalf("%d chunks for a 700 kB blob, want 3", n)
	}
	if err := blobs.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := countChunks(t, db); n != 0 {
		t.Fatalf("%d chunks left after Delete", n)
	}
	if n, _ := db.Collection("blobs.files").CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("%d files documents left after Delete", n)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// What Blobs stores is plain GridFS: the driver's bucket reads and deletes it, and Blobs reads
// what the driver's bucket wrote.
func TestBlobsAreGridFS(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	blobs := mongo.NewBlobsWithChunkSize(db, 200_000)
	bucket := db.GridFSBucket(options.GridFSBucket().SetName("blobs"))
	data := make([]byte, 600_000)
	for i := range data {
		data[i] = byte(i % 253)
	}

	id := ids.New()
	if _, err := blobs.Put(ctx, id, bytes.NewReader(data), 1<<20); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := bucket.DownloadToStream(ctx, id, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("driver download: %d bytes, %v", got.Len(), err)
	}
	if err := bucket.Delete(ctx, id); err != nil {
		t.Fatalf("driver delete: %v", err)
	}
	if _, err := blobs.Open(ctx, id); !errors.Is(err, document.ErrNotFound) {
		t.Fatalf("Open after the driver deleted it: %v", err)
	}

	foreign := ids.New()
	if err := bucket.UploadFromStreamWithID(ctx, foreign, "x", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	c, err := blobs.Open(ctx, foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Seek(300_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(tail, data[300_000:]) {
		t.Fatalf("reading the driver's chunks: %d bytes, %v", len(tail), err)
	}
	_ = c.Close()
	if err := blobs.Delete(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if n := countChunks(t, db); n != 0 {
		t.Fatalf("%d chunks left after deleting the driver's file", n)
	}
}
