package realtime

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workspaceops/workspaceops/platform/events"
)

// TestAsyncAPIListsTheCatalogue keeps api/asyncapi.yaml's event names equal to the catalogue,
// each with its own data schema and audit action, and checks that every message type and close
// code of the protocol is documented. It scans lines (no YAML library): a name is a "- 'x:y'"
// line of components/schemas/eventName; the two names that are never frames are described there.
func TestAsyncAPIListsTheCatalogue(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "api", "asyncapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	documented := []string{string(events.UserRegistered), string(events.AuditLogCreated)}
	in := false
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		trimmed := strings.TrimSpace(sc.Text())
		switch {
		case trimmed == "eventName:":
			in = true
		case in && strings.HasPrefix(trimmed, "- '"):
			documented = append(documented, strings.Trim(strings.TrimPrefix(trimmed, "- "), "'"))
		case in && strings.HasSuffix(trimmed, ":") && trimmed != "enum:" && trimmed != "description: |":
			in = false
		}
	}
	var catalogue []string
	for _, n := range events.Names() {
		catalogue = append(catalogue, string(n))
	}
	if len(catalogue) < 20 {
		t.Fatalf("the catalogue has only %d events", len(catalogue))
	}
	slices.Sort(documented)
	slices.Sort(catalogue)
	if !slices.Equal(documented, catalogue) {
		t.Fatalf("asyncapi.yaml lists\n%v\nthe catalogue has\n%v", documented, catalogue)
	}
	for _, n := range events.Names() {
		if n == events.UserRegistered || n == events.AuditLogCreated {
			continue
		}
		action, _ := events.ActionOf(n)
		if !strings.Contains(string(raw), "event: {const: '"+string(n)+"'}\n") {
			t.Errorf("%s has no data schema", n)
		}
		if !strings.Contains(string(raw), "action: {const: "+action+"}\n") {
			t.Errorf("the action %s of %s is not documented", action, n)
		}
	}
	for _, typ := range []string{TypeAuth, TypeJoin, TypeLeave, TypePing, TypeReady, TypeJoined, TypeLeft, TypePong,
		TypeEvent, TypeResync, TypeRemoved, TypeError, TypeClose} {
		if !strings.Contains(string(raw), "type: {const: "+typ+"}") {
			t.Errorf("message %q is not documented", typ)
		}
	}
	for _, code := range []string{"1001", "1009", "1013", "4001", "4008"} {
		if !strings.Contains(string(raw), "| "+code+" |") {
			t.Errorf("close code %s has no row in the close code table", code)
		}
	}
}
