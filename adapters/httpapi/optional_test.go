package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

func decodeString(t *testing.T, body string, dst any) error {
	t.Helper()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("PATCH", "/", strings.NewReader(body))
	c.Request.Header.Set("Content-Type", "application/json")
	return decodeJSON(c, dst)
}

func TestOptionalAndTimestampFields(t *testing.T) {
	type body struct {
		Due      optional[timestamp] `json:"dueDate"`
		Assignee optional[string]    `json:"assigneeId"`
	}
	var b body
	if err := decodeString(t, `{"dueDate":null}`, &b); err != nil || !b.Due.Set || !b.Due.Null || b.Assignee.Set {
		t.Fatalf("null: %+v, %v", b, err)
	}
	b = body{}
	if err := decodeString(t, `{"dueDate":"2026-05-01T09:00:00+02:00","assigneeId":"u"}`, &b); err != nil || b.Due.Null || b.Due.Value.Hour() != 9 || b.Assignee.Value != "u" {
		t.Fatalf("values: %+v, %v", b, err)
	}
	for in, field := range map[string]string{
		`{"dueDate":"tomorrow"}`:   "dueDate",
		`{"dueDate":17}`:           "dueDate",
		`{"assigneeId":{"$ne":1}}`: "assigneeId",
		`{"dueDate":{"$gt":"x"}}`:  "dueDate",
	} {
		err := decodeString(t, in, &body{})
		e := apperr.As(err)
		if e == nil || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("%s: %v, want a field error on %s", in, err, field)
		}
	}
}

// A body must be one JSON object whose keys are the fields' names exactly: null is not an
// empty object (login would count it as a failed attempt), and "TITLE" is not "title".
func TestBodyMustBeAnObjectWithExactKeys(t *testing.T) {
	type body struct {
		Title string `json:"title"`
		Email string `json:"email"`
	}
	for _, in := range []string{`null`, `[]`, `42`, `"x"`, `true`} {
		var b body
		if err := decodeString(t, in, &b); apperr.As(err) == nil || apperr.As(err).Code != "malformed_json" {
			t.Fatalf("%s: %v, want malformed_json", in, err)
		}
	}
	for _, in := range []string{`{"TITLE":"x"}`, `{"Title":"x"}`, `{"title":"x","eMail":"a@b.c"}`} {
		var b body
		err := decodeString(t, in, &b)
		if e := apperr.As(err); e == nil || e.Code != "validation_failed" || b.Title != "" {
			t.Fatalf("%s: %v (%+v), want an unknown field refused", in, err, b)
		}
	}
	var b body
	if err := decodeString(t, ` {"title":"x","email":"a@b.c"} `, &b); err != nil || b.Title != "x" || b.Email != "a@b.c" {
		t.Fatalf("exact keys: %+v, %v", b, err)
	}
}
