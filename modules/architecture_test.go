// Package modules_test enforces the dependency rules of the house (see docs/ARCHITECTURE.md): a
// module imports only the standard library, platform/* and itself — never an adapter, gin, the
// Mongo driver, websocket code, or another module; platform imports no module or adapter; and an
// adapter imports no other adapter (modules meet in adapters/bridge, adapters in cmd/).
package modules_test

import (
	"fmt"
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
			strings.HasPrefix(imp, "github.com/gin-gonic/") || strings.HasPrefix(imp, "go.mongodb.org/") ||
			strings.HasPrefix(imp, "github.com/prometheus/") || strings.HasPrefix(imp, "go.opentelemetry.io/") {
			t.Errorf("%s imports %q: platform is the shared kernel and depends on no module, adapter or I/O library (metrics and traces go through platform/observe's ports)", file, imp)
		}
	})
}

// adapterImportExceptions are the only imports of one adapter by another, each with its reason.
// Keyed by importing adapter, then imported adapter; they hold for test files only.
var adapterImportExceptions = map[string]map[string]string{
	"httpapi": {
		"bridge": "the router's tests run the real module graph, its modules joined as cmd/workspaceops joins them",
		"token":  "the router's tests sign in with real tokens",
	},
}

func TestAdaptersDoNotImportEachOther(t *testing.T) {
	checked := 0
	forEachImport(t, "../adapters", func(file, imp string) {
		checked++
		if why := crossAdapterImport(file, imp); why != "" {
			t.Error(why)
		}
	})
	if checked == 0 {
		t.Fatal("no imports checked: the test is not looking at the adapters")
	}
}

// crossAdapterImport says why file (a path under adapters/) may not import imp, or "" when it
// may. An adapter is a directory of adapters/ with its subpackages (mongo/embedded is mongo's).
func crossAdapterImport(file, imp string) string {
	_, rest, ok := strings.Cut(filepath.ToSlash(file), "adapters/")
	if !ok {
		return ""
	}
	from, _, _ := strings.Cut(rest, "/")
	to, ok := strings.CutPrefix(imp, modulePath+"/adapters/")
	if !ok {
		return ""
	}
	to, _, _ = strings.Cut(to, "/")
	if to == from {
		return ""
	}
	if _, listed := adapterImportExceptions[from][to]; listed && strings.HasSuffix(file, "_test.go") {
		return ""
	}
	return fmt.Sprintf("%s imports %q: adapters do not import each other (modules meet in adapters/bridge, adapters are joined in cmd/)", file, imp)
}

// TestRuleCatchesViolations guards the checkers themselves against silently passing.
func TestRuleCatchesViolations(t *testing.T) {
	for _, tc := range []struct {
		file, imp string
		allowed   bool
	}{
		{"../adapters/bridge/workitem.go", modulePath + "/adapters/realtime", false},
		{"../adapters/sqlite/db.go", modulePath + "/adapters/httpapi", false},
		{"../adapters/mongo/mongotest/mongotest.go", modulePath + "/adapters/sqlite", false},
		{"../adapters/httpapi/router.go", modulePath + "/adapters/bridge", false}, // the exception is for tests only
		{"../adapters/httpapi/services_test.go", modulePath + "/adapters/bridge", true},
		{"../adapters/mongo/mongotest/mongotest.go", modulePath + "/adapters/mongo/embedded", true},
		{"../adapters/natsbus/bus_test.go", modulePath + "/adapters/natsbus/natstest", true},
		{"../adapters/bridge/workitem.go", modulePath + "/modules/workitem", true},
	} {
		if why := crossAdapterImport(tc.file, tc.imp); (why == "") != tc.allowed {
			t.Errorf("%s importing %s: allowed = %v, want %v", tc.file, tc.imp, why == "", tc.allowed)
		}
	}
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
