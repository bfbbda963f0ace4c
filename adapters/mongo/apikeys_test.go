package mongo_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/apikey/apikeytest"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/idempotency/idempotencytest"
)

func TestAPIKeysContract(t *testing.T) {
	apikeytest.RepositoryContract(t, func(t *testing.T) apikey.Repository {
		return mongo.NewAPIKeys(indexedDatabase(t))
	})
}

func TestIdempotencyKeysContract(t *testing.T) {
	idempotencytest.RepositoryContract(t, func(t *testing.T) idempotency.Repository {
		return mongo.NewIdempotencyKeys(indexedDatabase(t))
	})
}
