package main

import (
	"context"
	"time"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/authz"
)

// credentials verifies what a request or connection presents: a user's token (the identity
// module) or an API key (the apikey module), told apart by the key's prefix. The REST router
// and the realtime hub both verify through it, so a key is accepted, refused and revoked alike
// on every path.
type credentials struct {
	users *identity.Service
	keys  *apikey.Service
}

func newCredentials(users *identity.Service, keys *apikey.Service) credentials {
	return credentials{users: users, keys: keys}
}

// keyNeverExpires is the expiry of a key principal whose key has none: its connections stay
// open until the key is revoked.
var keyNeverExpires = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Verify returns who a token speaks for.
func (c credentials) Verify(ctx context.Context, token string) (identity.Principal, error) {
	if !apikey.IsToken(token) {
		return c.users.Verify(ctx, token)
	}
	k, err := c.keys.Verify(ctx, token)
	if err != nil {
		return identity.Principal{}, err
	}
	exp := keyNeverExpires
	if k.ExpiresAt != nil {
		exp = *k.ExpiresAt
	}
	return identity.Principal{UserID: authz.KeyActor(k.ID), KeyID: k.ID, ExpiresAt: exp}, nil
}

// Recheck reports whether a principal verified earlier (an SSE ticket's) still stands.
func (c credentials) Recheck(ctx context.Context, p identity.Principal) error {
	if id, ok := authz.KeyOf(p.UserID); ok {
		return c.keys.Recheck(ctx, id)
	}
	return c.users.Recheck(ctx, p)
}
