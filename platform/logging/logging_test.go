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
