// Package modules_test enforces the dependency rules of the house (see ARCHITECTURE.md): a
// module imports only the standard library, platform/* and itself — never an adapter, gin, the
// Mongo driver, websocket code, or another module — and platform imports no module or adapter.
package modules_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/workspaceops/workspaceops"

func TestModulesImportOnlyStdlibPlatformAndThemselves(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		own := modulePath + "/modules/" + e.Name()
		forEachImport(t, e.Name(), func(file, imp string) {
			checked++
			switch {
			case isStdlib(imp), imp == own, strings.HasPrefix(imp, own+"/"), strings.HasPrefix(imp, modulePath+"/platform/"):
			default:
				t.Errorf("%s imports %q: modules may import only the standard library, platform/* and themselves", file, imp)
			}
		})
	}
	if checked == 0 {
		t.Fatal("no imports checked: the test is not looking at the modules")
	}
}

func TestPlatformImportsNoModuleOrAdapter(t *testing.T) {
	forEachImport(t, "../platform", func(file, imp string) {
		if strings.HasPrefix(imp, modulePath+"/modules/") || strings.HasPrefix(imp, modulePath+"/adapters/") ||
			strings.HasPrefix(imp, "github.com/gin-gonic/") || strings.HasPrefix(imp, "go.mongodb.org/") {
			t.Errorf("%s imports %q: platform is the shared kernel and depends on no module, adapter or I/O library", file, imp)
		}
	})
}

// TestRuleCatchesViolations guards the checker itself against silently passing.
func TestRuleCatchesViolations(t *testing.T) {
	for _, imp := range []string{"github.com/gin-gonic/gin", "go.mongodb.org/mongo-driver/v2/mongo", "github.com/coder/websocket"} {
		if isStdlib(imp) {
			t.Errorf("%s taken for the standard library", imp)
		}
	}
	if !isStdlib("net/http") || !isStdlib("crypto/rand") {
		t.Error("standard library not recognised")
	}
}

func isStdlib(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func forEachImport(t *testing.T, root string, fn func(file, imp string)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			fn(path, imp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
