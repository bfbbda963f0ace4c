package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/apikey/apikeytest"
	"github.com/workspaceops/workspaceops/modules/apikey/memory"
)

func TestRepositoryContract(t *testing.T) {
	apikeytest.RepositoryContract(t, func(*testing.T) apikey.Repository { return memory.NewKeys() })
}
