package text

import (
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]struct{ out, problem string }{
		"  Launch  ":            {"Launch", ""},
		"":                      {"", "is required"},
		"   ":                   {"", "is required"},
		strings.Repeat("é", 10): {strings.Repeat("é", 10), ""},
		strings.Repeat("é", 11): {"", "must be at most 10 characters"},
		"a\nb":                  {"", "must not contain control characters"},
		"a\x00b":                {"", "must not contain control characters"},
		"bad \xff utf8":         {"", "must be valid UTF-8"},
	} {
		out, problem := Line(in, 10)
		if out != want.out || problem != want.problem {
			t.Errorf("Line(%q) = %q, %q; want %q, %q", in, out, problem, want.out, want.problem)
		}
	}
	if out, problem := OptionalLine("  ", 10); out != "" || problem != "" {
		t.Errorf("OptionalLine(blank) = %q, %q", out, problem)
	}
}
