// Package api holds the published contract of WorkspaceOps: the OpenAPI document, embedded so
// the server can serve it and tests can validate answers against it, and the browser client of
// the realtime protocol, embedded so the server serves it at a stable URL.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// RealtimeClient is api/client/workspaceops-realtime.js, the browser client of the realtime
// protocol (api/asyncapi.yaml); the server serves it at GET /client/workspaceops-realtime.js.
//
//go:embed client/workspaceops-realtime.js
var RealtimeClient []byte
