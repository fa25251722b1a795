package policies

import (
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The fast path of data.facegate.decision (every package's ok rule, which
// answers an allowed request without evaluating the deny sets) is only
// sound for the deny rules each ok was written against: an operator who
// adds a deny rule to a package would otherwise see it bypassed. So the
// decider enables it only for the policy set it was verified with (the
// embedded one, byte for byte, whether embedded or written out to a
// directory; see TestOkImpliesNoDenial): it then adds this module, and the
// fast path requires data.facegate.runtime.fast_path_verified. Any edited
// set is decided by the ranked deny sets alone.
const (
	fastPathModuleName = "facegate.runtime/fast_path.rego"
	fastPathModuleSrc  = "package facegate.runtime\n\nfast_path_verified := true\n"
)

// verifiedDigest identifies the embedded policy set.
var verifiedDigest = sync.OnceValue(func() string {
	files, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil { // cannot happen: the files are embedded
		return ""
	}
	return policyDigest(files)
})

// policyDigest is the version of a policy set with paths taken relative to
// the facegate folder, so that a copy of EmbeddedFS() passed as its root
// (facegate/decision.rego) or as its facegate folder (decision.rego) has
// the embedded set's digest.
func policyDigest(files []policyFile) string {
	rel := make([]policyFile, len(files))
	for i, f := range files {
		rel[i] = policyFile{name: strings.TrimPrefix(f.name, "facegate/"), src: f.src}
	}
	sort.Slice(rel, func(i, j int) bool { return rel[i].name < rel[j].name })
	return versionOf(rel)
}

// addFastPath adds the module enabling the fast path when files are the
// embedded policy set, and reports whether it did.
func addFastPath(mods map[string]*ast.Module, files []policyFile) (bool, error) {
	if policyDigest(files) != verifiedDigest() {
		return false, nil
	}
	m, err := ast.ParseModuleWithOpts(fastPathModuleName, fastPathModuleSrc, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return false, err
	}
	mods[fastPathModuleName] = m
	return true, nil
}
