package policies

import (
	"embed"
	"io/fs"
)

//go:embed facegate schemas
var embedded embed.FS

// EmbeddedFS returns the policies and schemas built into the binary: the
// Rego files (with their tests) under facegate/ and the JSON Schemas under
// schemas/. Operators write them out to edit them.
func EmbeddedFS() fs.FS {
	return embedded
}
