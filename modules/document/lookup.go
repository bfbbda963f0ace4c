package document

import (
	"context"
	"errors"
	"fmt"
)

// Lookup answers other modules' questions about documents (does this one exist in that
// workspace?), read-only. It is separate from Service because Service needs the workitem module
// (to unlink a deleted document) while the workitem module needs these answers (links stay
// inside a workspace): a Lookup is built from the repository alone, so wiring goes round in no
// circle and no other module reads this module's repository.
type Lookup struct{ repo Repository }

// NewLookup returns a Lookup over the document repository.
func NewLookup(repo Repository) (*Lookup, error) {
	if repo == nil {
		return nil, errors.New("document: lookup needs a repository")
	}
	return &Lookup{repo: repo}, nil
}

// DocumentExists tells whether a document exists in a workspace. It does not authorize: the
// asking module already has.
func (l *Lookup) DocumentExists(ctx context.Context, workspaceID, documentID string) (bool, error) {
	_, err := l.repo.Get(ctx, workspaceID, documentID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up document: %w", err)
}
