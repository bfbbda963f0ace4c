package apikey

import (
	"context"
	"errors"
	"fmt"

	"github.com/workspaceops/workspaceops/platform/authz"
)

// Lookup answers the workspace module's question "what may this key actor do?", read-only.
// It is separate from Service because Service asks the workspace module (may this user give
// that role?) while the workspace module's Authorizer needs these answers: a Lookup is built
// from the repository alone, so wiring goes round in no circle.
type Lookup struct{ repo Repository }

// NewLookup returns a Lookup over the key repository.
func NewLookup(repo Repository) (*Lookup, error) {
	if repo == nil {
		return nil, errors.New("apikey: lookup needs a repository")
	}
	return &Lookup{repo: repo}, nil
}

// Grant is what a key may do: act in one workspace with one role, as long as the user who
// created it still may.
type Grant struct {
	WorkspaceID string
	Role        string
	CreatedBy   string
}

// Grant returns the grant of a key actor id; found is false for a user's id and for a key that
// is revoked. Expiry is checked when the key authenticates, not here: a request that began
// with a valid key finishes with it.
func (l *Lookup) Grant(ctx context.Context, actorID string) (g Grant, found bool, err error) {
	id, ok := authz.KeyOf(actorID)
	if !ok {
		return Grant{}, false, nil
	}
	k, err := l.repo.ByID(ctx, id)
	switch {
	case errors.Is(err, ErrKeyNotFound):
		return Grant{}, false, nil
	case err != nil:
		return Grant{}, false, fmt.Errorf("look up api key: %w", err)
	}
	return Grant{WorkspaceID: k.WorkspaceID, Role: k.Role, CreatedBy: k.CreatedBy}, true, nil
}
