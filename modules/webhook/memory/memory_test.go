package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/webhook/memory"
	"github.com/workspaceops/workspaceops/modules/webhook/webhooktest"
)

func TestRepositoryContract(t *testing.T) {
	webhooktest.RepositoryContract(t, func(*testing.T) webhook.Repository { return memory.NewStore() })
}
