// Package api holds the published contract of WorkspaceOps: the OpenAPI document, embedded so
// the server can serve it and tests can validate answers against it.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
