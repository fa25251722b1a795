package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// policyFile is one Rego source file of a policy set.
type policyFile struct {
	name string
	src  []byte
}

// isTestFile reports whether name is a Rego test file (*_test.rego).
func isTestFile(name string) bool {
	return strings.HasSuffix(name, "_test.rego")
}

// readPolicyFiles reads every *.rego file under fsys, sorted by path,
// with or without the *_test.rego files.
func readPolicyFiles(fsys fs.FS, withTests bool) ([]policyFile, error) {
	var files []policyFile
	err := fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || path.Ext(p) != ".rego" || (!withTests && isTestFile(p)) {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, policyFile{name: p, src: src})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading policy files: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("reading policy files: no .rego files found")
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, nil
}

// versionOf is a short hash of the policy set: paths and contents.
func versionOf(files []policyFile) string {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.name))
		h.Write([]byte{0})
		h.Write(f.src)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// parseModules parses the files as Rego v1 with metadata annotations.
func parseModules(files []policyFile) (map[string]*ast.Module, error) {
	mods := make(map[string]*ast.Module, len(files))
	opts := ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true}
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.name, string(f.src), opts)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", f.name, err)
		}
		mods[f.name] = m
	}
	return mods, nil
}

// compileStrict compiles modules with OPA's strict checks (unused
// variables and imports, deprecated built-ins, shadowed keywords). The
// compiler declares the ranked evaluation's stage builtin (ranked.go) for
// its query; a policy that calls it does not compile.
func compileStrict(mods map[string]*ast.Module) (*ast.Compiler, error) {
	for _, m := range mods {
		var found bool
		ast.WalkRefs(m, func(r ast.Ref) bool {
			found = found || r.String() == stageBuiltin
			return found
		})
		if found {
			return nil, fmt.Errorf("compiling policies: %s: %s is reserved", m.Package.Location.File, stageBuiltin)
		}
	}
	c := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1).
		WithBuiltins(map[string]*ast.Builtin{stageBuiltin: stageDecl})
	if c.Compile(mods); c.Failed() {
		return nil, fmt.Errorf("compiling policies: %w", c.Errors)
	}
	return c, nil
}
