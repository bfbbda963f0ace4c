package apikey

import "github.com/workspaceops/workspaceops/platform/apperr"

// Domain errors. Adapters translate their own failures into these.
var (
	ErrKeyNotFound = apperr.New(apperr.NotFound, "api_key_not_found", "API key not found")
	// ErrInvalidToken has the code of an invalid user token: a client treats both alike.
	ErrInvalidToken = apperr.New(apperr.Unauthenticated, "invalid_token", "the API key is unknown, revoked or expired")
	ErrTooManyKeys  = apperr.New(apperr.Conflict, "too_many_api_keys", "this workspace has as many API keys as allowed; revoke one first")
	ErrKeyExists    = apperr.New(apperr.Conflict, "api_key_exists", "an API key with this id or token already exists")
)
