// Package bridge is the one place where modules meet. No module imports another: a module that
// needs another's answer declares a port in its own package, and a type here implements that
// port by calling the other module's service or read-only facet (identity.Directory,
// document.Lookup, workspace.Authorizer), never its repository.
//
// One file per consuming module (workspace.go holds what the workspace module's ports need, and
// so on), each type with an assertion that it implements its port; ProviderSet (wire.go) binds
// them for cmd/workspaceops. The bridge imports modules only, never another adapter.
package bridge
