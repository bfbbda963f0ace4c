// Package api holds the published contract of WorkspaceOps: the OpenAPI and AsyncAPI documents,
// embedded so the server can serve them and tests can validate answers against them, and the
// browser client of
// the realtime protocol, embedded so the server serves it at a stable URL.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// AsyncAPI is api/asyncapi.yaml, the realtime protocol; the server serves it at GET /asyncapi.yaml.
//
//go:embed asyncapi.yaml
var AsyncAPI []byte

// RealtimeClient is api/client/workspaceops-realtime.js, the browser client of the realtime
// protocol (api/asyncapi.yaml); the server serves it at GET /client/workspaceops-realtime.js.
//
//go:embed client/workspaceops-realtime.js
var RealtimeClient []byte
