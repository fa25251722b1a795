package policies

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestEvalCache(t *testing.T) {
	c := compiledPolicies(t)
	consts := findConstants(c)
	table := ast.MustParseRef("data.facegate.routes.table")
	if consts.lookup(table) == nil {
		t.Fatal("the route table is not a constant rule")
	}
	for _, ref := range []string{"data.facegate.allow", "data.facegate.routes.ok", "data.facegate.limits.list", "data.facegate.routes.deny"} {
		if consts.lookup(ast.MustParseRef(ref)) != nil {
			t.Errorf("%s taken for a constant", ref)
		}
	}

	vc := newEvalCache(consts)
	ok := ast.MustParseRef("data.facegate.routes.ok")
	list := ast.MustParseRef("data.facegate.limits.list")
	steps := []struct {
		name      string
		do        func()
		ref       ast.Ref
		want      *ast.Term
		undefined bool
	}{
		{"constant answered", func() {}, table, consts.lookup(table), false},
		{"miss", func() {}, ok, nil, false},
		{"put value", func() { vc.Put(ok, ast.InternedTerm(true)) }, ok, ast.InternedTerm(true), false},
		{"put undefined", func() { vc.Put(list, nil) }, list, nil, true},
		{"overwrite", func() { vc.Put(ok, ast.InternedTerm(false)) }, ok, ast.InternedTerm(false), false},
		{"with frame hides entries", func() { vc.Push() }, ok, nil, false},
		{"with frame hides constants", func() {}, table, nil, false},
		{"with frame has its own entries", func() { vc.Put(ok, ast.InternedTerm(true)) }, ok, ast.InternedTerm(true), false},
		{"pop restores", func() { vc.Pop() }, ok, ast.InternedTerm(false), false},
		{"constant again", func() {}, table, consts.lookup(table), false},
	}
	for _, s := range steps {
		s.do()
		got, undefined := vc.Get(s.ref)
		if undefined != s.undefined || (got == nil) != (s.want == nil) || got != nil && !got.Equal(s.want) {
			t.Fatalf("%s: Get(%v) = %v, %t; want %v, %t", s.name, s.ref, got, undefined, s.want, s.undefined)
		}
	}
	if keys := vc.Keys(); len(keys) != 1 || !keys[0].Equal(ok) {
		t.Errorf("Keys() = %v, want [%v]", keys, ok)
	}
}

func TestFindConstantsSkipsRulesWithSeveralDefinitions(t *testing.T) {
	mods := map[string]*ast.Module{"x.rego": ast.MustParseModuleWithOpts(`package x
a := 1
b := {"k": [1, 2]}
c := 1
c := 1 if input.x
d := input.y
default e := 1
f.g := 2
f.h := 3
`, ast.ParserOptions{RegoVersion: ast.RegoV1})}
	c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	if c.Compile(mods); c.Failed() {
		t.Fatal(c.Errors)
	}
	consts := findConstants(c)
	for ref, want := range map[string]bool{"data.x.a": true, "data.x.b": true, "data.x.c": false, "data.x.d": false, "data.x.e": false, "data.x.f": false} {
		if got := consts.lookup(ast.MustParseRef(ref)) != nil; got != want {
			t.Errorf("%s constant = %t, want %t", ref, got, want)
		}
	}
}
