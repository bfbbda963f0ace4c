package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/auditlog/auditlogtest"
	"github.com/workspaceops/workspaceops/modules/auditlog/memory"
)

func TestRepositoryContract(t *testing.T) {
	auditlogtest.RepositoryContract(t, func(*testing.T) auditlog.Repository { return memory.NewStore() })
}
