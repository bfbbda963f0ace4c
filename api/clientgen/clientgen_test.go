package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workspaceops/workspaceops/api"
)

// TestGeneratedFilesAreFresh fails when api/client/events.{js,d.ts} are not what the spec
// gives, as check-generated does for wire_gen.go: the client's types follow api/asyncapi.yaml.
func TestGeneratedFilesAreFresh(t *testing.T) {
	files, err := generate(api.AsyncAPI)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "client", name))
		if err != nil {
			t.Fatalf("%v: run `make generate`", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("api/client/%s differs from what api/asyncapi.yaml gives: run `make generate` and commit it", name)
		}
	}
}

// TestPackageVersionFollowsTheProtocol: the npm package's major.minor is the protocol's
// (info.version); the patch number is the client's own.
func TestPackageVersionFollowsTheProtocol(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "client", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Version string `json:"version"`
		Private bool   `json:"private"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	files, err := generate(api.AsyncAPI)
	if err != nil {
		t.Fatal(err)
	}
	js := string(files["events.js"])
	_, rest, _ := strings.Cut(js, "PROTOCOL_VERSION = '")
	protocol, _, _ := strings.Cut(rest, "'")
	if majorMinor(pkg.Version) != majorMinor(protocol) {
		t.Errorf("package.json version %s does not follow protocol %s (same major.minor)", pkg.Version, protocol)
	}
	if pkg.Private {
		t.Error(`package.json is "private": npm pack would still work, but the package is meant to be published`)
	}
}

func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 3 {
		return "invalid:" + v
	}
	return parts[0] + "." + parts[1]
}

// TestGenerateRefusesWhatItCannotType: a spec construct the generator does not know fails the
// generation instead of producing a looser type.
func TestGenerateRefusesWhatItCannotType(t *testing.T) {
	for name, edit := range map[string][2]string{
		"an object field":         {"fields: {type: array, items: {type: string}", "fields: {type: object, items: {type: string}"},
		"names and schemas drift": {"        - 'overview:updated'\n", ""},
		"an unknown $ref":         {"from: {$ref: '#/components/schemas/workItemStatus'}", "from: {$ref: '#/components/schemas/ref'}"},
	} {
		spec := strings.Replace(string(api.AsyncAPI), edit[0], edit[1], 1)
		if spec == string(api.AsyncAPI) {
			t.Fatalf("%s: the edit does not apply to api/asyncapi.yaml", name)
		}
		if _, err := generate([]byte(spec)); err == nil {
			t.Errorf("%s: generated anyway", name)
		}
	}
	// A field whose type changes changes the output, so the freshness test above catches it.
	changed := strings.Replace(string(api.AsyncAPI), "size: {type: integer, minimum: 0}", "size: {type: string}", 1)
	files, err := generate([]byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := generate(api.AsyncAPI)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(files["events.d.ts"], orig["events.d.ts"]) || !strings.Contains(string(files["events.d.ts"]), "size: string") {
		t.Error("changing a field's type in the spec does not change events.d.ts")
	}
}
