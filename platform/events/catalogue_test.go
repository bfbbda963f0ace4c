package events

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCatalogueIsCompleteAndOneToOne parses events.go so that a Name constant added there
// without a catalogue row fails here.
func TestCatalogueIsCompleteAndOneToOne(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "events.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[Name]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil || len(vs.Values) != 1 {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Name" {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
				v, _ := strconv.Unquote(lit.Value)
				declared[Name(v)] = true
			}
		}
		return true
	})
	if len(declared) < 20 {
		t.Fatalf("found only %d Name constants: the parser is not looking", len(declared))
	}
	actions := map[string]bool{}
	for _, name := range Names() {
		if !declared[name] {
			t.Errorf("catalogue lists %q, which events.go does not declare", name)
		}
		delete(declared, name)
		action, ok := ActionOf(name)
		if !ok || actions[action] {
			t.Errorf("%q: action %q missing or shared", name, action)
		}
		actions[action] = true
		if back, _ := NameOf(action); back != name {
			t.Errorf("%q -> %q -> %q: not one to one", name, action, back)
		}
		want := strings.ToUpper(strings.NewReplacer(":", "_", "-", "_").Replace(string(name)))
		if action != want {
			t.Errorf("%q maps to %q, not a name derived from it (%q)", name, action, want)
		}
	}
	for name := range declared {
		t.Errorf("event %q has no row in the catalogue", name)
	}
}

// TestSubject: a membership event reaches the user it is about (from its data, else its member
// target); an event the catalogue does not send to a user room reaches nobody's.
func TestSubject(t *testing.T) {
	const uid, other = "0123456789abcdef01234567", "0123456789abcdef01234568"
	for _, tc := range []struct {
		name string
		c    Change
		want string
	}{
		{"removed", NewMemberRemoved(uid, "MEMBER", false), uid},
		{"invited user", NewMemberInvited(uid, "MEMBER", "ACTIVE"), uid},
		{"invited by email: no user yet", NewMemberInvitedByEmail(other, "MEMBER", "INVITED"), ""},
		{"joined", NewMemberJoined(uid, "MEMBER", other), uid},
		{"updated", NewMemberUpdated(uid, "ADMIN", "MEMBER"), uid},
		{"removed, no data (an old entry)", Change{Name: MemberRemoved, TargetType: TargetMember, TargetID: uid}, uid},
		{"not a membership event", NewWorkItemCreated(uid, "DRAFT"), ""},
		{"a bad id in the data", Change{Name: MemberRemoved, TargetType: TargetInvitation, TargetID: other, Data: map[string]any{"userId": "x"}}, ""},
	} {
		spec, ok := Of(tc.c.Name)
		if !ok {
			t.Fatalf("%s: %s not in the catalogue", tc.name, tc.c.Name)
		}
		if got := spec.Subject(tc.c.TargetType, tc.c.TargetID, tc.c.Data); got != tc.want {
			t.Errorf("%s: subject %q, want %q", tc.name, got, tc.want)
		}
	}
	if s, _ := Of(MemberRemoved); s.Evicts != EvictSubject {
		t.Error("member-removed must evict the member")
	}
	if s, _ := Of(WorkspaceDeleted); s.Evicts != EvictEveryone {
		t.Error("workspace:deleted must evict everyone")
	}
	if slices.Contains(ChangeActions(), "OVERVIEW_UPDATED") || !slices.Contains(ChangeActions(), "WORK_ITEM_CREATED") {
		t.Error("ChangeActions must hold the changes and only them")
	}
}
