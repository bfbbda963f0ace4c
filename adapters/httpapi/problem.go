package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/logging"
)

// Problem is an RFC 9457 problem document with the stable machine code clients switch on.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      string              `json:"code"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
}

// statusOf is the one mapping from error kinds to HTTP statuses.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.UnsupportedMedia:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// Transport-level errors that have no module behind them.
var (
	errMalformedJSON    = apperr.New(apperr.Invalid, "malformed_json", "the request body is not valid JSON")
	errEmptyBody        = apperr.New(apperr.Invalid, "empty_body", "the request body is empty")
	errBodyTooLarge     = apperr.New(apperr.TooLarge, "body_too_large", "the request body is too large")
	errInvalidID        = apperr.New(apperr.Invalid, "invalid_id", "the id in the path is malformed")
	errMissingToken     = apperr.New(apperr.Unauthenticated, "missing_token", "an Authorization: Bearer token is required")
	errRouteNotFound    = apperr.New(apperr.NotFound, "route_not_found", "no such route")
	errOriginNotAllowed = apperr.New(apperr.Forbidden, "origin_not_allowed", "this origin is not allowed")
	errNothingToUpdate  = apperr.New(apperr.Invalid, "nothing_to_update", "the request changes nothing")
	errUnavailable      = apperr.New(apperr.Unavailable, "not_ready", "the service is not ready")
	errNotJSON          = apperr.New(apperr.UnsupportedMedia, "unsupported_media_type", "the request body must be application/json")
)

// abortWithError answers err as a problem document. Errors outside the catalogue are logged
// with their detail and answered as a bare 500: internals never reach the client.
func abortWithError(c *gin.Context, log *slog.Logger, err error) {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.Internal {
		log.ErrorContext(c.Request.Context(), "request failed", slog.Any("error", err))
		e = apperr.New(apperr.Internal, "internal", "an unexpected error occurred; it has been logged")
	}
	status := statusOf(e.Kind)
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int((e.RetryAfter+999_999_999)/1_000_000_000)))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="workspaceops"`)
	}
	writeProblem(c, status, e.Code, e.Message, e.Fields)
}

func writeProblem(c *gin.Context, status int, code, detail string, fields []apperr.FieldError) {
	p := Problem{
		Type:      "urn:workspaceops:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Code:      code,
		Errors:    fields,
		RequestID: logging.RequestID(c.Request.Context()),
	}
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, p)
}
