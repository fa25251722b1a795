package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenAPIServed checks the OpenAPI document the real binary answers at
// /openapi.json in the default config: no key needed, valid JSON, OpenAPI
// 3.1.0, a GET and a POST for every method that has a JSON Schema in
// policies/schemas; only GET and HEAD; and the guarded routes stay guarded.
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
