package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workitem/memory"
	"github.com/workspaceops/workspaceops/modules/workitem/workitemtest"
)

func TestRepositoryContract(t *testing.T) {
	workitemtest.RepositoryContract(t, func(*testing.T) workitem.Repository { return memory.NewStore() })
}
