package httpapi

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/adapters/bridge"
	"github.com/workspaceops/workspaceops/adapters/token"
	"github.com/workspaceops/workspaceops/modules/apikey"
	apikeymem "github.com/workspaceops/workspaceops/modules/apikey/memory"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	auditlogmem "github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/modules/document"
	documentmem "github.com/workspaceops/workspaceops/modules/document/memory"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	idempotencymem "github.com/workspaceops/workspaceops/modules/idempotency/memory"
	"github.com/workspaceops/workspaceops/modules/identity"
	identitymem "github.com/workspaceops/workspaceops/modules/identity/memory"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/webhook"
	webhookmem "github.com/workspaceops/workspaceops/modules/webhook/memory"
	"github.com/workspaceops/workspaceops/modules/workitem"
	workitemmem "github.com/workspaceops/workspaceops/modules/workitem/memory"
	"github.com/workspaceops/workspaceops/modules/workspace"
	workspacemem "github.com/workspaceops/workspaceops/modules/workspace/memory"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/password"
	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

// newTestRouter builds the real router over every module's in-memory repositories, wired the
// way cmd/workspaceops wires the real ones.
func newTestRouter(t *testing.T) *gin.Engine {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	clk := clock.System{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	users := identitymem.NewUsers()
	dir, err := identity.NewDirectory(users)
	must(err)
	keyRepo := apikeymem.NewKeys()
	keyLookup, err := apikey.NewLookup(keyRepo)
	must(err)
	wsRepo := workspacemem.NewStore()
	ws, err := workspace.NewService(workspace.Deps{
		Repo: wsRepo, Users: bridge.UserDirectory{Identity: dir}, Events: events.Discard{},
		Clock: clk, Log: log, InvitationTTL: workspace.DefaultInvitationTTL, Keys: bridge.KeyGrants{Keys: keyLookup},
	})
	must(err)
	az, err := workspace.NewAuthorizer(wsRepo, bridge.KeyGrants{Keys: keyLookup})
	must(err)
	keys, err := apikey.NewService(apikey.Deps{Repo: keyRepo, Grants: bridge.KeyRoles{Authorizer: az}, Authz: az, Events: events.Discard{}, Clock: clk, Log: log})
	must(err)
	keeper, err := idempotency.NewKeeper(idempotencymem.NewRecords(), clk, log)
	must(err)
	tokens, err := token.New(token.Config{
		Secret: []byte(strings.Repeat("k", token.MinSecretLen)), Issuer: "test", Audience: "test", TTL: time.Hour,
	})
	must(err)
	ids, err := identity.NewService(identity.Deps{
		Users: users, Hasher: password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}), Tokens: tokens,
		Throttles: identity.Throttles{ByEmail: ratelimit.NewFailures(5, time.Minute, clk), ByAddr: ratelimit.NewFailures(20, time.Minute, clk)},
		Listener:  bridge.Registrations{Workspaces: ws}, Events: events.Discard{}, Clock: clk, Log: log,
	})
	must(err)
	docRepo := documentmem.NewStore()
	lookup, err := document.NewLookup(docRepo)
	must(err)
	items, err := workitem.NewService(workitem.Deps{
		Repo: workitemmem.NewStore(), Authz: ws, Members: ws, Documents: bridge.DocumentLookup{Documents: lookup},
		Events: events.Discard{}, Clock: clk, Log: log,
	})
	must(err)
	docs, err := document.NewService(document.Deps{
		Repo: docRepo, Blobs: documentmem.NewBlobs(), Links: bridge.WorkItemLinks{WorkItems: items}, Authz: ws, Events: events.Discard{}, Clock: clk, Log: log,
		MaxSize: 1 << 20, ExpiringWindow: time.Hour,
	})
	must(err)
	audit, err := auditlog.NewService(auditlogmem.NewStore(), ws, auditlog.NoBroadcast{}, log)
	must(err)
	ov, err := overview.NewService(ws, bridge.WorkItemFigures{WorkItems: items}, bridge.DocumentFigures{Documents: docs}, bridge.MemberFigures{Workspaces: ws}, bridge.Activity{AuditLog: audit})
	must(err)
	hooks := webhookmem.NewStore()
	dispatcher, err := webhook.NewDispatcher(hooks, bridge.WebhookLog{AuditLog: audit}, noSender{}, audit, clock.System{}, log, webhook.Options{})
	must(err)
	whs, err := webhook.NewService(webhook.Deps{
		Repo: hooks, Log: bridge.WebhookLog{AuditLog: audit}, Sender: noSender{}, Authz: ws, Dispatcher: dispatcher, Clock: clk, Logger: log,
	})
	must(err)
	h, err := NewRouter(Config{MaxBodyBytes: 1 << 20, MaxUploadBytes: 1 << 20},
		Services{Identity: ids, Workspaces: ws, WorkItems: items, Documents: docs, Overview: ov, AuditLog: audit,
			APIKeys: keys, Idempotency: keeper, Credentials: ids, Webhooks: whs},
		func(context.Context) error { return nil }, log)
	must(err)
	engine, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("NewRouter returned %T, not *gin.Engine", h)
	}
	return engine
}

// noSender is a webhook.Sender that reaches nobody: the router's tests deliver nothing.
type noSender struct{}

func (noSender) Send(context.Context, webhook.Request) webhook.Response {
	return webhook.Response{Err: context.Canceled}
}

func (noSender) CheckDestination(context.Context, string) error { return nil }
