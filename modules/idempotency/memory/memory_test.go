package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/idempotency/idempotencytest"
	"github.com/workspaceops/workspaceops/modules/idempotency/memory"
)

func TestRepositoryContract(t *testing.T) {
	idempotencytest.RepositoryContract(t, func(*testing.T) idempotency.Repository { return memory.NewRecords() })
}
