package bridge

import (
	"github.com/google/wire"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/authz"
)

// ProviderSet satisfies every module's ports on other modules with the types of this package,
// and the two platform ports that one module answers for all: authz.Authorizer (the workspace
// module's permission table, asked by every module and the realtime hub) and events.Publisher
// (the audit log, see Events). It builds the read-only facets the types here call.
var ProviderSet = wire.NewSet(
	identity.NewDirectory, document.NewLookup, workspace.NewAuthorizer, apikey.NewLookup,
	wire.Bind(new(authz.Authorizer), new(*workspace.Authorizer)),
	Events,

	// workspace.go
	wire.Struct(new(UserDirectory), "*"), wire.Bind(new(workspace.UserDirectory), new(UserDirectory)),
	wire.Struct(new(WorkspaceContent), "*"), wire.Bind(new(workspace.ContentPurger), new(WorkspaceContent)),
	wire.Struct(new(KeyGrants), "*"), wire.Bind(new(workspace.KeyGrants), new(KeyGrants)),
	// apikey.go
	wire.Struct(new(KeyRoles), "*"), wire.Bind(new(apikey.Grants), new(KeyRoles)),
	// identity.go
	wire.Struct(new(Registrations), "*"), wire.Bind(new(identity.RegistrationListener), new(Registrations)),
	// workitem.go
	wire.Struct(new(DocumentLookup), "*"), wire.Bind(new(workitem.DocumentLookup), new(DocumentLookup)),
	wire.Struct(new(Members), "*"), wire.Bind(new(workitem.MemberChecker), new(Members)),
	// document.go
	wire.Struct(new(WorkItemLinks), "*"), wire.Bind(new(document.LinkRemover), new(WorkItemLinks)),
	// overview.go
	wire.Struct(new(WorkItemFigures), "*"), wire.Bind(new(overview.WorkItemCounter), new(WorkItemFigures)),
	wire.Struct(new(DocumentFigures), "*"), wire.Bind(new(overview.DocumentCounter), new(DocumentFigures)),
	wire.Struct(new(MemberFigures), "*"), wire.Bind(new(overview.MemberCounter), new(MemberFigures)),
	wire.Struct(new(Activity), "*"), wire.Bind(new(overview.ActivityFeed), new(Activity)),
	// webhook.go
	wire.Struct(new(WebhookLog), "*"), wire.Bind(new(webhook.Log), new(WebhookLog)),
	SubscribeWebhooks,
)
