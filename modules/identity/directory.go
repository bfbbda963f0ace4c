package identity

import (
	"context"
	"errors"
)

// Directory answers other modules' questions about users (names for member lists, who owns an
// email). It is separate from Service so that modules the Service notifies can use it without a
// dependency cycle.
type Directory struct{ users Repository }

// NewDirectory returns a Directory over the user repository.
func NewDirectory(users Repository) (*Directory, error) {
	if users == nil {
		return nil, errors.New("identity: directory needs a repository")
	}
	return &Directory{users: users}, nil
}

// UsersByIDs returns the users that exist among ids.
func (d *Directory) UsersByIDs(ctx context.Context, ids []string) ([]User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return d.users.ByIDs(ctx, ids)
}

// UserByEmail returns the user registered with email; found is false when there is none.
func (d *Directory) UserByEmail(ctx context.Context, email string) (u User, found bool, err error) {
	u, err = d.users.ByEmail(ctx, NormalizeEmail(email))
	switch {
	case errors.Is(err, ErrUserNotFound):
		return User{}, false, nil
	case err != nil:
		return User{}, false, err
	}
	return u, true, nil
}
