package policies

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// TestRuleCacheMatchesPlainEvaluation decides every pair of variations in a
// shuffled order, twice, with the rule cache shared by all decisions (and
// the memo off), and compares each decision with OPA's plain evaluation of
// the same input: for the shipped policies and for an edited set.
func TestRuleCacheMatchesPlainEvaluation(t *testing.T) {
	edited := copyEmbedded(t)
	editFile(t, filepath.Join(edited, limitsFile), `"rate": 5, "per_s": 1, "burst": 10`, `"rate": 6, "per_s": 1, "burst": 10`)
	for _, tc := range []struct{ name, dir string }{{"shipped", ""}, {"edited", edited}} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecider(t, tc.dir)
			p := d.active.Load()
			p.memo = nil
			plain := plainQuery(t, tc.dir)
			vs := variations()
			type pair struct{ i, j int }
			var pairs []pair
			for i := range vs {
				for j := i; j < len(vs); j++ {
					pairs = append(pairs, pair{i, j})
				}
			}
			rng := rand.New(rand.NewPCG(7, 8))
			ctx := context.Background()
			allowed := 0
			for pass := range 2 {
				rng.Shuffle(len(pairs), func(a, b int) { pairs[a], pairs[b] = pairs[b], pairs[a] })
				for _, pr := range pairs {
					in, ok := combine(vs[pr.i], vs[pr.j])
					if !ok {
						continue
					}
					rs, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value()))
					if err != nil || len(rs) != 1 {
						t.Fatalf("variations %d+%d: plain evaluation: %v %v", pr.i, pr.j, rs, err)
					}
					want := rs[0].Expressions[0].Value.(Decision)
					if got := d.Decide(ctx, in); !reflect.DeepEqual(got, want) {
						t.Errorf("pass %d, variations %d+%d: Decide = %s, plain evaluation = %s", pass, pr.i, pr.j, got, want)
					} else if got.Allow {
						allowed++
					}
				}
			}
			hits, misses := p.rules.hits.Load(), p.rules.misses.Load()
			t.Logf("rule cache: %d hits, %d misses, %d entries; %d allowed", hits, misses, p.rules.n, allowed)
			if hits == 0 || allowed == 0 {
				t.Errorf("the comparison did not exercise the cache (%d hits) or an allowed decision (%d)", hits, allowed)
			}
		})
	}
}

// TestRuleDeps checks the dependencies found for a few shipped rules.
func TestRuleDeps(t *testing.T) {
	d := findDeps(compiledPolicies(t))
	deps := func(ref string) *ruleDeps {
		t.Helper()
		r := d.deps(ast.MustParseRef(ref))
		if r == nil {
			t.Fatalf("no dependencies for %s", ref)
		}
		return r
	}
	paths := func(r *ruleDeps) map[string]bool {
		out := map[string]bool{}
		for _, p := range r.paths {
			out[ast.Ref(append([]*ast.Term{ast.InputRootDocument}, p...)).String()] = true
		}
		return out
	}
	list := deps("data.facegate.limits.list")
	if !list.cacheable {
		t.Error("limits.list is not cacheable")
	}
	got := paths(list)
	for _, want := range []string{"input.key.tier", "input.key.limits", "input.request.route", "input.request.images", "input.request.proxied"} {
		if !got[want] {
			t.Errorf("limits.list: missing %s in %v", want, got)
		}
	}
	for p := range got {
		if p == "input.auth" || p == "input.now_ns" || p == "input" {
			t.Errorf("limits.list depends on %s: %v", p, got)
		}
	}
	if deps("data.facegate.keys.deny").cacheable {
		t.Error("keys.deny reads now_ns and must not be cached")
	}
	if deps("data.facegate.decision").cacheable {
		t.Error("decision depends on keys and must not be cached")
	}
	// Functions are found through their call ref.
	charge := d.deps(ast.Ref{ast.RefTerm(ast.MustParseRef("data.facegate.limits.charge")...), ast.StringTerm("x")})
	if charge == nil || !paths(charge)["input.request.images"] {
		t.Errorf("limits.charge deps = %+v, want input.request.images among them", charge)
	}
}

// TestRuleDepsUncacheable: non-deterministic built-ins, `with` and reads
// of the whole input make a rule, and what uses it, uncacheable.
func TestRuleDepsUncacheable(t *testing.T) {
	mods := map[string]*ast.Module{"x.rego": ast.MustParseModuleWithOpts(`package x

clock := time.now_ns()

uses_clock if clock > 0

with_input := v if v := y with input.a as 1

y := input.a

whole := count(input)

dynamic := data.y[input.pkg]

plain := input.a.b
`, ast.ParserOptions{RegoVersion: ast.RegoV1})}
	mods["y.rego"] = ast.MustParseModuleWithOpts("package y\n\nclock := time.now_ns()\n\nz := 1\n", ast.ParserOptions{RegoVersion: ast.RegoV1})
	c := ast.NewCompiler()
	c.Compile(mods)
	if c.Failed() {
		t.Fatal(c.Errors)
	}
	d := findDeps(c)
	for ref, want := range map[string]bool{
		"data.x.clock": false, "data.x.uses_clock": false, "data.x.with_input": false,
		"data.x.y": true, "data.x.whole": false, "data.x.dynamic": false, "data.x.plain": true,
	} {
		r := d.deps(ast.MustParseRef(ref))
		if r == nil {
			t.Errorf("%s: no dependencies", ref)
			continue
		}
		if r.cacheable != want {
			t.Errorf("%s: cacheable = %v, want %v (paths %v)", ref, r.cacheable, want, r.paths)
		}
	}
}

// TestRuleCacheConflictNotShared: a complete rule with two conflicting
// values fails the evaluation; the value recorded before the conflict was
// found must not answer the next decision.
func TestRuleCacheConflictNotShared(t *testing.T) {
	dir := t.TempDir()
	src := `package facegate

x := 1 if input.request.method == "POST"

x := 2 if input.request.route == "faces/recognize"

decision := {"allow": true, "status": 200, "error_code": 0, "detail": "", "reason": "ok", "limits": [], "x": x}
`
	if err := os.WriteFile(filepath.Join(dir, "decision.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newTestDecider(t, dir)
	for i := range 3 {
		if got := d.Decide(context.Background(), realisticInput()); got.Reason != ReasonPolicyError {
			t.Fatalf("decision %d = %s, want the fail-closed policy error", i, got)
		}
	}
	if n := d.active.Load().rules.n; n != 0 {
		t.Errorf("%d rule values shared after failed evaluations", n)
	}
}

// TestDetachCopiesStrings: what the rule cache keeps must not point into
// the request's memory (an input string may be a slice of a whole body),
// and large values are not kept.
func TestDetachCopiesStrings(t *testing.T) {
	body := strings.Repeat("x", 1<<16) + "docs"
	ns := body[len(body)-4:] // "docs", sharing body's memory
	v := ast.NewObject(
		ast.Item(ast.StringTerm("namespace"), ast.StringTerm(ns)),
		ast.Item(ast.StringTerm("list"), ast.ArrayTerm(ast.StringTerm(ns), ast.IntNumberTerm(3))),
		ast.Item(ast.StringTerm("set"), ast.SetTerm(ast.StringTerm(ns))),
	)
	budget := ruleCacheMaxBytes
	d, ok := detach(v, &budget)
	if !ok || d.Compare(v) != 0 {
		t.Fatalf("detach = %v, %v; want an equal value", d, ok)
	}
	lo := uintptr(unsafe.Pointer(unsafe.StringData(body)))
	hi := lo + uintptr(len(body))
	var walk func(x ast.Value)
	walk = func(x ast.Value) {
		switch x := x.(type) {
		case ast.String:
			if p := uintptr(unsafe.Pointer(unsafe.StringData(string(x)))); len(x) > 0 && p >= lo && p < hi {
				t.Errorf("detached string %q still points into the body", x)
			}
		case ast.Object:
			x.Foreach(func(k, v *ast.Term) { walk(k.Value); walk(v.Value) })
		case *ast.Array:
			x.Foreach(func(e *ast.Term) { walk(e.Value) })
		case ast.Set:
			x.Foreach(func(e *ast.Term) { walk(e.Value) })
		}
	}
	walk(d)
	budget = ruleCacheMaxBytes
	if _, ok := detach(ast.String(body), &budget); ok {
		t.Error("a 64 KiB string was kept")
	}
}

// TestRuleCacheKeepsOnlyAllowedDecisions: denials, whatever a caller
// varies in them, add nothing to the rule cache (they neither pay for
// copying values nor push out those of allowed decisions); an allowed
// decision adds its values, which the next decisions read.
func TestRuleCacheKeepsOnlyAllowedDecisions(t *testing.T) {
	d, err := NewDecider(Options{NoMemo: true})
	if err != nil {
		t.Fatal(err)
	}
	p := d.active.Load()
	ctx := context.Background()
	for _, tc := range uncachedDenials {
		for i := range 50 {
			if dec := d.Decide(ctx, tc.input(i)); dec.Reason != tc.reason {
				t.Fatalf("%s stream: got %s", tc.reason, dec)
			}
		}
	}
	if p.rules.n != 0 {
		t.Fatalf("%d rule values kept from denials", p.rules.n)
	}
	if dec := d.Decide(ctx, realisticInput()); !dec.Allow {
		t.Fatalf("realistic input denied: %s", dec)
	}
	if p.rules.n == 0 {
		t.Fatal("an allowed decision kept no rule value")
	}
	hits := p.rules.hits.Load()
	in := realisticInput()
	in.Request.Params["uids"] = "other@docs"
	if dec := d.Decide(ctx, in); !dec.Allow || p.rules.hits.Load() == hits {
		t.Errorf("the next allowed decision (%s) read no kept value", dec)
	}
}
