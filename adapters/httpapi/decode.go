package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// decodeJSON reads exactly one JSON object into dst: the media type must be JSON, unknown fields
// and trailing data are refused, and each wrong type is reported against its field. Because
// every field of dst has a concrete type, an operator object such as {"$ne": ""} where a string
// belongs is a type error, never a query.
//
// The body must be an object (null, a list or a number is malformed, never an empty object),
// and its keys must match dst's JSON names exactly: encoding/json matches them without regard
// to case, so "TITLE" would set title.
func decodeJSON(c *gin.Context, dst any) error {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		return errNotJSON
	}
	dec := json.NewDecoder(c.Request.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return errMalformedJSON.WithMessage("the request body must hold exactly one JSON object")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return errMalformedJSON.WithMessage("the request body must be a JSON object")
	}
	if err := exactKeys(raw, dst); err != nil {
		return err
	}
	obj := json.NewDecoder(bytes.NewReader(raw))
	obj.DisallowUnknownFields()
	if err := obj.Decode(dst); err != nil {
		return jsonError(err)
	}
	return nil
}

// exactKeys refuses a key of the object raw that is not, exactly, the JSON name of a field of
// the struct dst points to.
func exactKeys(raw json.RawMessage, dst any) error {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return jsonError(err)
	}
	for key := range keys {
		if !hasJSONName(t, key) {
			return apperr.Validation(apperr.FieldError{Field: key, Message: "is not a known field"})
		}
	}
	return nil
}

func hasJSONName(t reflect.Type, key string) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			if hasJSONName(f.Type, key) {
				return true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key && name != "-" && f.IsExported() {
			return true
		}
	}
	return false
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
