package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/identity/identitytest"
	"github.com/workspaceops/workspaceops/modules/identity/memory"
)

func TestRepositoryContract(t *testing.T) {
	identitytest.RepositoryContract(t, func(*testing.T) identity.Repository { return memory.NewUsers() })
}
