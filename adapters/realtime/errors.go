package realtime

import (
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/apperr"
)

// The realtime layer's own refusals. They are answered through the one error table
// (platform/problem) like every other error: a problem document on a refused handshake or SSE
// request, an error frame on an open connection.
var (
	errTokenInQuery = apperr.New(apperr.Invalid, "token_in_query",
		"send the token in an auth frame or the Authorization header, never in the URL")
	errNotHandshake = apperr.New(apperr.Invalid, "not_a_handshake",
		"GET /ws opens a WebSocket: send HTTP/1.1 with Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13 and one Sec-WebSocket-Key of 16 bytes in base64")
	errBadAuthorization   = identity.ErrInvalidToken.WithMessage("the Authorization header must be Bearer <token>")
	errShuttingDown       = apperr.New(apperr.Unavailable, "unavailable", "the server is shutting down; reconnect to another instance")
	errTooManyConnections = apperr.New(apperr.RateLimited, "too_many_connections", "this user has too many realtime connections")
	errTooManyJoins       = apperr.New(apperr.RateLimited, "too_many_joins", "this connection is in too many workspaces; leave one first")
	errInvalidWorkspaceID = apperr.New(apperr.Invalid, "invalid_id", "workspaceId must be 24 lowercase hex characters")
	errInvalidSince       = apperr.New(apperr.Invalid, "invalid_since", "Last-Event-ID (or since) must be a non-negative integer seq")
	errInvalidTicket      = apperr.New(apperr.Unauthenticated, "invalid_ticket",
		"the ticket is unknown, used or expired; get a new one from POST /api/v1/realtime/tickets")

	// ErrTooManyTickets is answered when the in-memory record of used tickets is full of live ones.
	ErrTooManyTickets = apperr.New(apperr.RateLimited, "too_many_tickets", "too many SSE tickets are outstanding; retry shortly")
)
