package page

import (
	"errors"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	c := EncodeCursor("m", "abc")
	parts, err := DecodeCursor(c, 2)
	if err != nil || parts[0] != "m" || parts[1] != "abc" {
		t.Fatalf("DecodeCursor = %v, %v", parts, err)
	}
	if parts, err := DecodeCursor("", 2); err != nil || len(parts) != 2 || parts[0] != "" {
		t.Fatalf("empty cursor = %v, %v", parts, err)
	}
	for _, bad := range []string{"!!!", EncodeCursor("only-one"), EncodeCursor("a", "b", "c")} {
		if _, err := DecodeCursor(bad, 2); !errors.Is(err, ErrBadCursor) {
			t.Errorf("DecodeCursor(%q) err = %v", bad, err)
		}
	}
}

func TestParseLimit(t *testing.T) {
	for in, want := range map[string]int{"": 50, "1": 1, "200": 200} {
		if got, err := ParseLimit(in); err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "201", "-1", "ten", "1e3"} {
		if _, err := ParseLimit(bad); !errors.Is(err, ErrBadLimit) {
			t.Errorf("ParseLimit(%q) accepted", bad)
		}
	}
}
