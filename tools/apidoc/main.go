// Command apidoc writes facegate's API reference (docs/api.md) and OpenAPI
// 3.1 document (docs/openapi.json) from the policies' JSON Schemas, as the
// binary embeds them. Run it from the repository root after changing a
// schema, answers.json or a policy's denials:
//
//	go run ./tools/apidoc
//
// go test ./plugin/apidoc fails while the committed files differ from its
// output.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/facegate/facegate/plugin/apidoc"
	"github.com/facegate/facegate/policies"
)

func main() {
	dir := flag.String("docs", "docs", "folder to write api.md and openapi.json to")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "apidoc:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	spec, err := apidoc.Load(policies.EmbeddedFS())
	if err != nil {
		return err
	}
	oa, err := spec.OpenAPI()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"api.md": spec.Markdown(), "openapi.json": oa} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}
