package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "req-42")
	log.With("component", "test").InfoContext(ctx, "hello")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if line["request_id"] != "req-42" || line["component"] != "test" {
		t.Fatalf("line = %v", line)
	}
}

func TestNewRejectsUnknownSettings(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "loud", "json"); err == nil {
		t.Error("unknown level accepted")
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestAtLeast(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "debug", "text")
	quiet := AtLeast(log, slog.LevelError)
	quiet.Warn("dropped")
	quiet.Error("kept")
	if out := buf.String(); bytes.Contains([]byte(out), []byte("dropped")) || !bytes.Contains([]byte(out), []byte("kept")) {
		t.Fatalf("output %q", out)
	}
}

func TestTraceIDOnEveryLineOfATracedRequest(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "json")
	log.InfoContext(WithTraceID(WithRequestID(context.Background(), "req-1"), "4bf92f3577b34da6a3ce929d0e0e4736"), "traced")
	log.InfoContext(WithRequestID(context.Background(), "req-2"), "untraced")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	var traced, untraced map[string]any
	if len(lines) != 2 || json.Unmarshal(lines[0], &traced) != nil || json.Unmarshal(lines[1], &untraced) != nil {
		t.Fatalf("lines %q", buf.String())
	}
	if traced["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || traced["request_id"] != "req-1" {
		t.Fatalf("traced line %v", traced)
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Fatalf("untraced line %v", untraced)
	}
}
