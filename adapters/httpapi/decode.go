package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// decodeJSON reads exactly one JSON object into dst: the media type must be JSON, unknown fields
// and trailing data are refused, and each wrong type is reported against its field. Because
// every field of dst has a concrete type, an operator object such as {"$ne": ""} where a string
// belongs is a type error, never a query.
func decodeJSON(c *gin.Context, dst any) error {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		return errNotJSON
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return errMalformedJSON.WithMessage("the request body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &tooLarge):
		return errBodyTooLarge
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return errMalformedJSON
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return errMalformedJSON.WithMessage("the request body must be a JSON object")
		}
		if typeErr.Type == timeType {
			return apperr.Validation(apperr.FieldError{Field: typeErr.Field, Message: "must be an RFC 3339 time such as 2026-05-01T09:00:00Z"})
		}
		return apperr.Validation(apperr.FieldError{Field: typeErr.Field, Message: "must be a " + jsonKind(typeErr.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Validation(apperr.FieldError{Field: field, Message: "is not a known field"})
	}
	return errMalformedJSON
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct":
		return "object"
	}
	return "number"
}
