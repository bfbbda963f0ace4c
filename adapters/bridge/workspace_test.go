package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/identity/memory"
)

func TestUserDirectory(t *testing.T) {
	ctx := context.Background()
	users := memory.NewUsers()
	if err := users.Create(ctx, identity.User{ID: "u1", Email: "ada@example.com", DisplayName: "Ada", PasswordHash: "h", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	dir, err := identity.NewDirectory(users)
	if err != nil {
		t.Fatal(err)
	}
	d := UserDirectory{Identity: dir}
	u, found, err := d.UserByEmail(ctx, " ADA@example.com")
	if err != nil || !found || u.ID != "u1" || u.DisplayName != "Ada" {
		t.Fatalf("UserByEmail = %+v, %v, %v", u, found, err)
	}
	if _, found, err := d.UserByEmail(ctx, "nobody@example.com"); err != nil || found {
		t.Fatalf("unknown email: found=%v err=%v", found, err)
	}
	list, err := d.UsersByIDs(ctx, []string{"u1", "u2"})
	if err != nil || len(list) != 1 || list[0].Email != "ada@example.com" {
		t.Fatalf("UsersByIDs = %v, %v", list, err)
	}
}
