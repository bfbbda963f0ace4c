package httpapi

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/problem"
)

// Problem is the RFC 9457 problem document every error answer is.
type Problem = problem.Problem

// Transport-level errors that have no module behind them.
var (
	errMalformedJSON    = apperr.New(apperr.Invalid, "malformed_json", "the request body is not valid JSON")
	errEmptyBody        = apperr.New(apperr.Invalid, "empty_body", "the request body is empty")
	errBodyTooLarge     = apperr.New(apperr.TooLarge, "body_too_large", "the request body is too large")
	errInvalidID        = apperr.New(apperr.Invalid, "invalid_id", "the id in the path is malformed")
	errMissingToken     = apperr.New(apperr.Unauthenticated, "missing_token", "an Authorization: Bearer token (or an X-Api-Key) is required")
	errRouteNotFound    = apperr.New(apperr.NotFound, "route_not_found", "no such route")
	errOriginNotAllowed = apperr.New(apperr.Forbidden, "origin_not_allowed", "this origin is not allowed")
	errNothingToUpdate  = apperr.New(apperr.Invalid, "nothing_to_update", "the request changes nothing")
	errUnavailable      = apperr.New(apperr.Unavailable, "not_ready", "the service is not ready")
	errNotJSON          = apperr.New(apperr.UnsupportedMedia, "unsupported_media_type", "the request body must be application/json")
)

// abortWithError answers err as a problem document through the one table (platform/problem).
// Errors outside the catalogue are logged with their detail and answered without it.
func abortWithError(c *gin.Context, log *slog.Logger, err error) {
	e, logIt := problem.Of(err)
	if logIt {
		log.ErrorContext(c.Request.Context(), "request failed", slog.String("code", e.Code), slog.Any("error", err))
	}
	answer(c, e)
}

func answer(c *gin.Context, e *apperr.Error) {
	problem.Header(c.Writer.Header(), e)
	c.AbortWithStatusJSON(problem.Status(e.Kind), problem.New(c.Request.Context(), e))
}

// writeProblem answers a status that is no error kind (405, 412, 416) as a problem document.
func writeProblem(c *gin.Context, status int, code, detail string) {
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, problem.Document(c.Request.Context(), status, code, detail, nil))
}
