package policies

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestEvalCache(t *testing.T) {
	table := ast.MustParseRef("data.facegate.routes.table")
	vc := newEvalCache()
	ok := ast.MustParseRef("data.facegate.allow")
	list := ast.MustParseRef("data.facegate.limits.list")
	steps := []struct {
		name      string
		do        func()
		ref       ast.Ref
		want      *ast.Term
		undefined bool
	}{
		{"not evaluated yet", func() {}, table, nil, false},
		{"miss", func() {}, ok, nil, false},
		{"put value", func() { vc.Put(ok, ast.InternedTerm(true)) }, ok, ast.InternedTerm(true), false},
		{"put undefined", func() { vc.Put(list, nil) }, list, nil, true},
		{"overwrite", func() { vc.Put(ok, ast.InternedTerm(false)) }, ok, ast.InternedTerm(false), false},
		{"with frame hides entries", func() { vc.Push() }, ok, nil, false},
		{"with frame has its own entries", func() { vc.Put(ok, ast.InternedTerm(true)) }, ok, ast.InternedTerm(true), false},
		{"pop restores", func() { vc.Pop() }, ok, ast.InternedTerm(false), false},
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

// TestConstantRulesShared: a constant rule (the route table) is evaluated
// by the first decision and answered by the rule cache afterwards.
func TestConstantRulesShared(t *testing.T) {
	d := newTestDecider(t, "")
	p := d.active.Load()
	p.memo = nil
	table := ast.MustParseRef("data.facegate.routes.table")
	deps := p.deps.deps(table)
	if deps == nil || !deps.cacheable || len(deps.paths) != 0 {
		t.Fatalf("route table deps = %+v, want cacheable without input paths", deps)
	}
	d.Decide(context.Background(), realisticInput())
	key, _ := appendRuleKey(nil, table, deps, realisticInput().Value())
	v, ok := p.rules.get(key)
	if !ok || v == nil || v.Value.(ast.Object).Get(ast.StringTerm("faces/detect")) == nil {
		t.Fatalf("route table not shared after a decision: %v %v", v, ok)
	}
	other := realisticInput()
	other.Request.Route = "tags/get"
	key, _ = appendRuleKey(nil, table, deps, other.Value())
	if _, ok := p.rules.get(key); !ok {
		t.Error("route table not shared with a request for another route")
	}
}
