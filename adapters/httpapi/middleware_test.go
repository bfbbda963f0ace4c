package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/logging"
)

func testEngine(log *slog.Logger, handler gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(requestID(), recoverPanics(log), accessLog(log))
	r.GET("/x", handler)
	return r
}

func TestPanicBecomesProblemWithoutInternals(t *testing.T) {
	var logs bytes.Buffer
	log, _ := logging.New(&logs, "info", "json")
	r := testEngine(log, func(*gin.Context) { panic("secret internal detail") })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "secret internal detail") {
		t.Fatal("panic value leaked to the client")
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != "internal" || p.RequestID == "" {
		t.Fatalf("problem %+v, %v", p, err)
	}
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), p.RequestID) {
		t.Fatalf("the panic was not logged with its request id: %s", logs.String())
	}
}

func TestUnexpectedErrorIsLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	log, _ := logging.New(&logs, "info", "json")
	r := testEngine(log, func(c *gin.Context) { abortWithError(c, log, errors.New("mongo: connection refused at 10.0.0.5")) })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Fatalf("status %d body %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatal("error not logged")
	}
}

func TestRequestIDSanitised(t *testing.T) {
	r := testEngine(slog.New(slog.DiscardHandler), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	for in, keep := range map[string]bool{"abc-123_x.y": true, "": false, "has space": false, strings.Repeat("a", 65): false, "evil\u2028": false} {
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set(headerRequestID, in)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		got := rec.Header().Get(headerRequestID)
		if got == "" || (got == in) != keep {
			t.Errorf("request id %q answered as %q", in, got)
		}
	}
}
