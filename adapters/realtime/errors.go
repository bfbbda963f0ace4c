package realtime

import (
	"log/slog"
	"net/http"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/problem"
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

	// Refusals on an open connection: an error frame whose code is the kind's (FrameCode).
	errAuthFirst      = identity.ErrInvalidToken.WithMessage("send an auth frame first")
	errRefreshToken   = identity.ErrInvalidToken.WithMessage("the new token is not valid; the previous one stays in force until it expires")
	errOtherUser      = identity.ErrInvalidToken.WithMessage("the new token is for another user")
	errBinaryFrame    = apperr.New(apperr.Invalid, "bad_frame", "frames are JSON text")
	errMalformedFrame = apperr.New(apperr.Invalid, "bad_frame", "the frame is not protocol v1")

	// ErrTooManyTickets is answered when the in-memory record of used tickets is full of live ones.
	ErrTooManyTickets = apperr.New(apperr.RateLimited, "too_many_tickets", "too many SSE tickets are outstanding; retry shortly")
)

// refuse answers a refused handshake or stream request through the one error table, logging
// what is not a client's fault.
func refuse(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, logIt := problem.Of(err)
	if logIt {
		log.WarnContext(r.Context(), "realtime: refused a request", slog.String("code", e.Code), slog.Any("error", err))
	}
	problem.Write(w, r, e)
}
