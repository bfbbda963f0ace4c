package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/document/documenttest"
	"github.com/workspaceops/workspaceops/platform/ids"
)

func TestDocumentsContract(t *testing.T) {
	documenttest.RepositoryContract(t, func(t *testing.T) document.Repository {
		return mongo.NewDocuments(indexedDatabase(t))
	})
}

// The stored shape is a contract with operators and migrations: camelCase names, BSON dates,
// expiresAt a date or null.
func TestStoredDocumentMetadataShape(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	repo := mongo.NewDocuments(db)
	expires := t0.Add(time.Hour)
	withExpiry := document.Document{
		ID: ids.New(), WorkspaceID: ids.New(), Name: "a.txt", Title: "A", Size: 1, ContentType: "text/plain",
		SHA256: "00", BlobID: ids.New(), UploadedBy: ids.New(), CreatedAt: t0, UpdatedAt: t0,
		ExpiresAt: &expires, ExpiryStatus: document.ExpiringSoon, Version: 1,
	}
	never := withExpiry
	never.ID, never.ExpiresAt, never.ExpiryStatus = ids.New(), nil, document.Valid
	for _, d := range []document.Document{withExpiry, never} {
		if err := repo.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	fields := map[string]bson.Type{
		"_id": bson.TypeString, "workspaceId": bson.TypeString, "name": bson.TypeString, "title": bson.TypeString,
		"size": bson.TypeInt64, "contentType": bson.TypeString, "sha256": bson.TypeString, "blobId": bson.TypeString,
		"uploadedBy": bson.TypeString, "createdAt": bson.TypeDateTime, "updatedAt": bson.TypeDateTime,
		"expiresAt": bson.TypeDateTime, "expiryStatus": bson.TypeString, "version": bson.TypeInt64,
	}
	for _, c := range []struct {
		id      string
		expires bson.Type
	}{{withExpiry.ID, bson.TypeDateTime}, {never.ID, bson.TypeNull}} {
		raw, err := db.Collection("documents").FindOne(ctx, bson.D{{Key: "_id", Value: c.id}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		elems, err := raw.Elements()
		if err != nil {
			t.Fatal(err)
		}
		if len(elems) != len(fields) {
			t.Errorf("%d fields, want %d: %v", len(elems), len(fields), raw)
		}
		for _, e := range elems {
			want, ok := fields[e.Key()]
			if e.Key() == "expiresAt" {
				want = c.expires
			}
			if !ok || e.Value().Type != want {
				t.Errorf("field %s of type %v, want %v", e.Key(), e.Value().Type, want)
			}
		}
	}
}
