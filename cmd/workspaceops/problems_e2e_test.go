package main

import (
	"strings"
	"testing"
)

// TestEveryErrorIsAProblemDocument: errors that do not come from a REST handler — an over-long
// URL, /ws without a WebSocket handshake, the realtime handshake's own refusals — are problem
// documents with a requestId and a code the OpenAPI document lists (call checks the contract).
func TestEveryErrorIsAProblemDocument(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}).want(t, 201).str("id")

	cases := []struct {
		name, method, path, token string
		status                    int
		code                      string
		headers                   []string
	}{
		{"a URL over the header limit", "GET", "/api/v1/workspaces?q=" + strings.Repeat("x", 80<<10), ann.token, 431, "headers_too_large", nil},
		{"/ws without a handshake", "GET", "/ws", "", 400, "not_a_handshake", nil},
		{"/ws with a malformed key", "GET", "/ws", "", 400, "not_a_handshake",
			[]string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "short"}},
		{"/ws with a token in the URL", "GET", "/ws?token=" + ann.token, "", 400, "token_in_query", nil},
		{"/events without a ticket", "GET", "/events?workspaceId=" + wid, "", 401, "invalid_ticket", nil},
		{"/events with a forged ticket", "GET", "/events?workspaceId=" + wid + "&ticket=abc.def", "", 401, "invalid_ticket", nil},
		{"/events with a bad since", "GET", "/events?workspaceId=" + wid + "&since=-3&ticket=" + s.ticket(t, ann), "", 400, "invalid_since", nil},
		{"/events with a bad workspace id", "GET", "/events?workspaceId=nope", "", 400, "invalid_id", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.call(c.method, c.path, c.token, nil, c.headers...).want(t, c.status, c.code)
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if r.str("requestId") == "" || r.str("requestId") != r.header.Get("X-Request-Id") {
				t.Errorf("requestId %q, X-Request-Id %q", r.str("requestId"), r.header.Get("X-Request-Id"))
			}
		})
	}
}

// TestIndexLinksWork: GET / names where everything is, and every link it gives answers.
func TestIndexLinksWork(t *testing.T) {
	s := startServer(t, nil)
	r := s.call("GET", "/", "", nil).want(t, 200)
	links, _ := r.body["links"].(map[string]any)
	if len(links) < 7 {
		t.Fatalf("GET / answered %s", r.raw)
	}
	want := map[string]int{"websocket": 400, "events": 400} // they need more than a plain GET
	for name, v := range links {
		status, ok := want[name]
		if !ok {
			status = 200
		}
		s.call("GET", v.(string), "", nil).want(t, status)
	}
	if y := s.call("GET", "/asyncapi.yaml", "", nil).want(t, 200); !strings.HasPrefix(y.raw, "asyncapi: 3") {
		t.Errorf("/asyncapi.yaml starts %q", y.raw[:min(40, len(y.raw))])
	}
}
