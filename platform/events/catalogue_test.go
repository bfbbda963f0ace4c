package events

import (
	"go/ast"
	"go/parser"
	"go/token"
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
