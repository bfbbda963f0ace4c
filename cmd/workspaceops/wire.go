//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/workspaceops/workspaceops/adapters/bridge"
	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/token"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/config"
	"github.com/workspaceops/workspaceops/platform/password"
)

var storeSet = wire.NewSet(
	provideStore, provideDatabase, provideReadiness,
	mongo.NewUsers, wire.Bind(new(identity.Repository), new(*mongo.Users)),
	mongo.NewWorkspaces, wire.Bind(new(workspace.Repository), new(*mongo.Workspaces)),
)

var identitySet = wire.NewSet(
	provideHasher, wire.Bind(new(identity.PasswordHasher), new(*password.Hasher)),
	provideTokens, wire.Bind(new(identity.Tokens), new(*token.JWT)),
	provideThrottles, provideIdentityService, identity.NewDirectory,
)

var workspaceSet = wire.NewSet(
	wire.Struct(new(bridge.UserDirectory), "*"), wire.Bind(new(workspace.UserDirectory), new(bridge.UserDirectory)),
	provideWorkspaceService, wire.Bind(new(identity.RegistrationListener), new(*workspace.Service)),
)

// initApp builds the whole object graph; wire generates its body in wire_gen.go.
func initApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(storeSet, identitySet, workspaceSet, provideClock, provideEvents, provideRouter, wire.Struct(new(App), "*"))
	return nil, nil, nil
}
