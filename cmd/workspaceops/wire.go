//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/workspaceops/workspaceops/adapters/bridge"
	"github.com/workspaceops/workspaceops/adapters/httpapi"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/adapters/token"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/password"
)

var storeSet = wire.NewSet(
	provideStore,
	wire.FieldsOf(new(*Store), "Users", "Workspaces", "WorkItems", "Documents", "Blobs", "AuditLog", "Redemptions", "Ready"),
)

var contentSet = wire.NewSet(
	wire.Struct(new(bridge.DocumentLookup), "*"), wire.Bind(new(workitem.DocumentLookup), new(bridge.DocumentLookup)),
	wire.Bind(new(document.LinkRemover), new(*workitem.Service)),
	provideWorkItemService, provideDocumentService, provideSweep,
	wire.Struct(new(bridge.WorkItemFigures), "*"), wire.Struct(new(bridge.DocumentFigures), "*"), provideOverviewService,
)

var auditSet = wire.NewSet(
	provideAuditLog, provideBroadcaster, wire.Struct(new(bridge.Activity), "*"),
)

var realtimeSet = wire.NewSet(
	provideBus, provideRealtime, realtime.NewWebSocket, provideSSE, provideCounters,
)

var identitySet = wire.NewSet(
	provideHasher, wire.Bind(new(identity.PasswordHasher), new(*password.Hasher)),
	provideTokens, wire.Bind(new(identity.Tokens), new(*token.JWT)),
	provideThrottles, provideIdentityService, identity.NewDirectory,
)

var workspaceSet = wire.NewSet(
	wire.Struct(new(bridge.UserDirectory), "*"), wire.Bind(new(workspace.UserDirectory), new(bridge.UserDirectory)),
	wire.Struct(new(bridge.WorkspaceContent), "*"), wire.Bind(new(workspace.ContentPurger), new(bridge.WorkspaceContent)),
	provideWorkspaceService, wire.Bind(new(identity.RegistrationListener), new(*workspace.Service)),
	workspace.NewAuthorizer,
	wire.Bind(new(authz.Authorizer), new(*workspace.Authorizer)),
	wire.Bind(new(workitem.MemberChecker), new(*workspace.Authorizer)),
)

// initApp builds the whole object graph; wire generates its body in wire_gen.go.
func initApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(storeSet, identitySet, workspaceSet, contentSet, auditSet, realtimeSet, provideClock, provideEvents,
		wire.Struct(new(httpapi.Services), "*"), provideRouter, wire.Struct(new(App), "*"))
	return nil, nil, nil
}
