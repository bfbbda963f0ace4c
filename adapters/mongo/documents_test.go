package mongo_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// The stored shape is a contract with operators and migrations: camelCase names, BSON dates,
// a membership keyed by "workspaceId:userId".
func TestStoredDocumentShape(t *testing.T) {
	ctx := context.Background()
	db := indexedDatabase(t)
	u := identity.User{ID: ids.New(), Email: "ada@example.com", DisplayName: "Ada", PasswordHash: "h", CreatedAt: t0}
	if err := mongo.NewUsers(db).Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	repo := mongo.NewWorkspaces(db)
	w := createWorkspace(t, repo)
	inv := workspace.Invitation{ID: ids.New(), WorkspaceID: w.ID, Email: "bo@example.com", Role: workspace.Viewer, InvitedBy: w.CreatedBy, CreatedAt: t0, ExpiresAt: t0}
	if err := repo.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		coll, id string
		fields   map[string]bson.Type
	}{
		{"users", u.ID, map[string]bson.Type{
			"_id": bson.TypeString, "email": bson.TypeString, "displayName": bson.TypeString,
			"passwordHash": bson.TypeString, "createdAt": bson.TypeDateTime,
		}},
		{"workspaces", w.ID, map[string]bson.Type{
			"_id": bson.TypeString, "name": bson.TypeString, "createdBy": bson.TypeString,
			"createdAt": bson.TypeDateTime, "updatedAt": bson.TypeDateTime, "ownerCount": bson.TypeInt32,
		}},
		{"memberships", w.ID + ":" + w.CreatedBy, map[string]bson.Type{
			"_id": bson.TypeString, "workspaceId": bson.TypeString, "userId": bson.TypeString,
			"role": bson.TypeString, "joinedAt": bson.TypeDateTime,
		}},
		{"invitations", inv.ID, map[string]bson.Type{
			"_id": bson.TypeString, "workspaceId": bson.TypeString, "email": bson.TypeString, "role": bson.TypeString,
			"invitedBy": bson.TypeString, "createdAt": bson.TypeDateTime, "expiresAt": bson.TypeDateTime,
		}},
	} {
		raw, err := db.Collection(c.coll).FindOne(ctx, bson.D{{Key: "_id", Value: c.id}}).Raw()
		if err != nil {
			t.Fatalf("%s %s: %v", c.coll, c.id, err)
		}
		elems, err := raw.Elements()
		if err != nil {
			t.Fatal(err)
		}
		if len(elems) != len(c.fields) {
			t.Errorf("%s: %d fields, want %d: %v", c.coll, len(elems), len(c.fields), raw)
		}
		for _, e := range elems {
			if want, ok := c.fields[e.Key()]; !ok || e.Value().Type != want {
				t.Errorf("%s: field %s of type %v, want %v", c.coll, e.Key(), e.Value().Type, want)
			}
		}
	}
}
