// Package apikey is the API keys of workspaces: long-lived bearer credentials for integrators,
// each scoped to one workspace with one role, shown once at creation and stored only as a hash.
//
// A request made with a key acts as the key (actor authz.KeyActor(id)), never as the user who
// created it; the workspace module's Authorizer answers for that actor from the key's workspace
// and role, through a Lookup, so every use case of every module is covered without knowing keys.
package apikey
