package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/modules/workspace/memory"
	"github.com/workspaceops/workspaceops/modules/workspace/workspacetest"
)

func TestRepositoryContract(t *testing.T) {
	workspacetest.RepositoryContract(t, func(*testing.T) workspace.Repository { return memory.NewStore() })
}
