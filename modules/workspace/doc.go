// Package workspace holds workspaces, their members and roles, and invitations. It owns the one
// permission table of WorkspaceOps: every module asks this package, through its Authorize method,
// whether a user may do an action in a workspace.
package workspace
