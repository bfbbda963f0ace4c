package mongo_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/identity/identitytest"
)

func TestUsersContract(t *testing.T) {
	identitytest.RepositoryContract(t, func(t *testing.T) identity.Repository {
		return mongo.NewUsers(indexedDatabase(t))
	})
}
