package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestOpenAPIServed checks the OpenAPI document the real binary answers at
// /openapi.json in the default config: no key needed, valid JSON, OpenAPI
// 3.1.0, a GET and a POST for every method that has a JSON Schema in
// policies/schemas; real answers (a detection with every attribute and
// point, account/limits, a failure) valid against the document's answer
// schemas; only GET and HEAD; and the guarded routes stay guarded.
func TestOpenAPIServed(t *testing.T) {
	s := startServer(t, t.TempDir())
	resp, err := s.client.Get(s.url("/openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET /openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	schemas, err := filepath.Glob(filepath.Join(repoRoot, "policies", "schemas", "*_*.json"))
	if err != nil || len(schemas) < 10 {
		t.Fatalf("method schemas: %v (%d found)", err, len(schemas))
	}
	for _, f := range schemas {
		route := strings.Replace(strings.TrimSuffix(filepath.Base(f), ".json"), "_", "/", 1)
		p := doc.Paths["/fc/"+route+".json"]
		if p["get"] == nil || p["post"] == nil {
			t.Errorf("the OpenAPI document has no GET and POST for /fc/%s.json", route)
		}
	}
	if len(doc.Paths) != len(schemas) {
		t.Errorf("%d paths for %d method schemas", len(doc.Paths), len(schemas))
	}

	answers := openAPIAnswerSchemas(t, body)
	img := filepath.Join(facesDir(t), "detection", "images", "2008_002079.jpg")
	params := s.keyParams()
	params["attributes"] = "all"
	params["detect_all_feature_points"] = "true"
	for _, c := range []struct {
		name, schema string
		ans          *fcResponse
	}{
		{"faces/detect", "answer_photos_answer", s.call("faces/detect", params, img)},
		{"account/limits", "answer_envelope", s.call("account/limits", s.keyParams())},
		{"wrong secret", "answer_error", s.call("account/limits", map[string]string{"api_key": s.creds.APIKey, "api_secret": "wrong"})},
	} {
		if c.name != "wrong secret" && c.ans.Status != "success" {
			t.Fatalf("%s: %d %s", c.name, c.ans.HTTPStatus, c.ans.ErrorMessage)
		}
		raw, _ := json.Marshal(c.ans.Raw)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := answers(c.schema).Validate(v); err != nil {
			t.Errorf("%s: the answer does not match %s of the OpenAPI document: %v", c.name, c.schema, err)
		}
		if c.schema != "answer_error" && answers("answer_error").Validate(v) == nil {
			t.Errorf("%s: a successful answer validates as an error: the schemas check nothing", c.name)
		}
	}

	req, _ := http.NewRequest(http.MethodPost, s.url("/openapi.json"), strings.NewReader("x"))
	resp, err = s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /openapi.json: %d, want 405", resp.StatusCode)
	}
	// Under /fc/ the guard answers as for any other unknown method.
	resp, err = s.client.Get(s.url("/fc/openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || !strings.Contains(string(body), `"failure"`) {
		t.Errorf("GET /fc/openapi.json without a key: %d %s, want a SkyBiometry failure", resp.StatusCode, body)
	}
}

// openAPIAnswerSchemas compiles the components of an OpenAPI document as
// JSON Schema 2020-12 (OpenAPI 3.1's dialect) and returns a lookup by name.
func openAPIAnswerSchemas(t *testing.T, doc []byte) func(name string) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://facegate.test/openapi.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(base, v); err != nil {
		t.Fatal(err)
	}
	return func(name string) *jsonschema.Schema {
		t.Helper()
		sch, err := c.Compile(base + "#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("compiling %s: %v", name, err)
		}
		return sch
	}
}
