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

// TestAsyncAPIListsTheCatalogue keeps api/asyncapi.yaml's event list equal to the catalogue,
// and checks that every message type and close code of the protocol is documented. It scans
// lines (no YAML library): an event is a "- name: x:y" line under components/schemas/eventData.
func TestAsyncAPIListsTheCatalogue(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "api", "asyncapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "eventData:":
			in = true
		case in && strings.HasPrefix(trimmed, "- name: "):
			documented = append(documented, strings.TrimPrefix(trimmed, "- name: "))
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
		action, _ := events.ActionOf(n)
		if !strings.Contains(string(raw), "action: "+action+"\n") {
			t.Errorf("the action %s of %s is not documented", action, n)
		}
	}
	for _, typ := range []string{TypeAuth, TypeJoin, TypeLeave, TypePing, TypeReady, TypeJoined, TypeLeft, TypePong,
		TypeEvent, TypeResync, TypeRemoved, TypeError, TypeClose} {
		if !strings.Contains(string(raw), "type: {const: "+typ+"}") {
			t.Errorf("message %q is not documented", typ)
		}
	}
	for _, code := range []string{"1001", "1009", "4001", "4008"} {
		if !strings.Contains(string(raw), "| "+code+" |") {
			t.Errorf("close code %s has no row in the close code table", code)
		}
	}
}
