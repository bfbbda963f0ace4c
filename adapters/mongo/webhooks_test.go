package mongo_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/webhook/webhooktest"
)

func TestWebhooksContract(t *testing.T) {
	webhooktest.RepositoryContract(t, func(t *testing.T) webhook.Repository {
		return mongo.NewWebhooks(indexedDatabase(t))
	})
}
