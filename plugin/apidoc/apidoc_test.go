package apidoc

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/facegate/facegate/policies"
)

func loadEmbedded(t *testing.T) *Spec {
	t.Helper()
	s, err := Load(policies.EmbeddedFS())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCommittedDocsAreGenerated checks that docs/api.md and
// docs/openapi.json are exactly what `go run ./tools/apidoc` writes from the
// current schemas and policies.
func TestCommittedDocsAreGenerated(t *testing.T) {
	s := loadEmbedded(t)
	oa, err := s.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"api.md": s.Markdown(), "openapi.json": oa} {
		got, err := os.ReadFile("../../docs/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/%s is not the generator's output for the current policies/schemas: run `go run ./tools/apidoc` and commit it", name)
		}
	}
}

// TestEveryValidatedRouteIsDocumented checks that the reference covers
// exactly the routes the validator compiles schemas for.
func TestEveryValidatedRouteIsDocumented(t *testing.T) {
	s := loadEmbedded(t)
	v, err := policies.NewValidator("")
	if err != nil {
		t.Fatal(err)
	}
	md := string(s.Markdown())
	var doc map[string]any
	oa, _ := s.OpenAPI()
	if err := json.Unmarshal(oa, &doc); err != nil {
		t.Fatalf("OpenAPI document is not JSON: %v", err)
	}
	paths := doc["paths"].(map[string]any)
	if len(paths) != len(v.Routes()) {
		t.Errorf("OpenAPI has %d paths, the validator %d routes", len(paths), len(v.Routes()))
	}
	for _, r := range v.Routes() {
		if !strings.Contains(md, "\n## "+r+"\n") {
			t.Errorf("api.md has no section for %s", r)
		}
		p, ok := paths["/fc/"+r+".json"].(map[string]any)
		if !ok || p["get"] == nil || p["post"] == nil {
			t.Errorf("OpenAPI has no GET and POST for /fc/%s.json", r)
		}
	}
}

// TestOpenAPIRefsResolve checks that every $ref of the OpenAPI document
// points at a component that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	oa, err := loadEmbedded(t).OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(oa, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if r, ok := y.(string); ok && k == "$ref" {
					n++
					name, ok := strings.CutPrefix(r, "#/components/schemas/")
					if !ok || schemas[name] == nil {
						t.Errorf("dangling $ref %q", r)
					}
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)
	if n < 50 {
		t.Errorf("only %d $refs found: the document lost its schemas", n)
	}
}

// TestLoadRefusesInconsistentTrees checks that a method without an answer
// entry, or an answer entry without a schema, is an error, not a silently
// thinner reference.
func TestLoadRefusesInconsistentTrees(t *testing.T) {
	routes := "table := {\n\t\"faces/detect\": {\"write\": false, \"images\": true, \"quota\": true},\n}\n"
	common := `{"$defs": {}}`
	for name, tc := range map[string]struct{ schemas, answers string }{
		"method without answer": {`{"properties": {}}`, `{"methods": {}, "$defs": {}}`},
		"answer without method": {`{"properties": {}}`, `{"methods": {"faces/detect": {"answer": {}}, "tags/get": {"answer": {}}}, "$defs": {}}`},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"facegate/routes/routes.rego":  {Data: []byte(routes)},
				"schemas/common.json":          {Data: []byte(common)},
				"schemas/faces_detect.json":    {Data: []byte(tc.schemas)},
				"schemas/answers/answers.json": {Data: []byte(tc.answers)},
			}
			if _, err := Load(fsys); err == nil {
				t.Fatal("Load accepted an inconsistent tree")
			}
		})
	}
}
