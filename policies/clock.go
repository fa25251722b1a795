package policies

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// clockTest is a comparison (<, <=, >, >=, ==, !=) of a volatile input path
// (now_ns) with a constant scalar or another input path, such as
// `input.now_ns >= input.key.expires_at`. A rule that reads now_ns only in
// such tests depends on the tests' outcomes, not on now_ns itself, so it
// stays cacheable: the outcome is part of its key.
type clockTest struct {
	op    string  // the built-in: lt, lte, gt, gte, equal, neq
	flip  bool    // the volatile path is the right operand
	now   depPath // the volatile path
	other depPath // the other operand's path, or nil for konst
	konst ast.Value
}

// comparisons are the built-ins a clockTest may use.
var comparisons = map[string]bool{"lt": true, "lte": true, "gt": true, "gte": true, "equal": true, "neq": true}

// clockTests finds the clock tests of a compiled body. The compiler turns
// `input.now_ns < input.key.expires_at` into `__local1__ = input.now_ns;
// __local2__ = input.key.expires_at; lt(__local1__, __local2__)`, so an
// operand is a static input ref, a scalar, or a local the body binds to a
// static input ref. It returns the tests and the expressions they replace:
// the comparisons, and the bindings of the volatile path whose local the
// rule uses nowhere else (uses counts every var of the rule).
func clockTests(body ast.Body, uses map[ast.Var]int) ([]clockTest, map[*ast.Expr]bool) {
	bound := map[ast.Var]*ast.Expr{}
	for _, e := range body {
		if !e.IsEquality() || e.Negated {
			continue
		}
		for i := range 2 {
			v, ok := e.Operand(i).Value.(ast.Var)
			if _, static := staticInputPath(e.Operand(1 - i)); ok && static && v.IsGenerated() {
				bound[v] = e
			}
		}
	}
	path := func(t *ast.Term) (depPath, *ast.Expr, bool) {
		if v, ok := t.Value.(ast.Var); ok && bound[v] != nil {
			e := bound[v]
			p, _ := staticInputPath(e.Operand(0))
			if p == nil {
				p, _ = staticInputPath(e.Operand(1))
			}
			return p, e, true
		}
		p, ok := staticInputPath(t)
		return p, nil, ok
	}
	var tests []clockTest
	replaced := map[*ast.Expr]bool{}
	for _, e := range body {
		if !e.IsCall() || !comparisons[e.Operator().String()] || len(e.Operands()) < 2 {
			continue
		}
		for i := range 2 {
			now, def, ok := path(e.Operand(i))
			if !ok || len(now) == 0 || !isVolatile(now) {
				continue
			}
			if def != nil && uses[e.Operand(i).Value.(ast.Var)] != 2 {
				break // the local is read elsewhere too
			}
			t := clockTest{op: e.Operator().String(), flip: i == 1, now: now}
			other := e.Operand(1 - i)
			if p, _, ok := path(other); ok && !isVolatile(p) {
				t.other = p
			} else if ast.IsScalar(other.Value) {
				t.konst = other.Value
			} else {
				break
			}
			tests = append(tests, t)
			replaced[e] = true
			if def != nil {
				replaced[def] = true
			}
			break
		}
	}
	return tests, replaced
}

// staticInputPath is the path of a ref `input.a.b` whose terms are all
// strings.
func staticInputPath(t *ast.Term) (depPath, bool) {
	ref, ok := t.Value.(ast.Ref)
	if !ok || !ref[0].Equal(ast.InputRootDocument) {
		return nil, false
	}
	for _, k := range ref[1:] {
		if _, ok := k.Value.(ast.String); !ok {
			return nil, false
		}
	}
	return depPath(ref[1:]), true
}

// outcome evaluates the test as OPA's comparison built-ins do, given the
// values of its volatile path and of its other path (nil: undefined); the
// answer is nil when the expression is undefined.
func (t clockTest) outcome(now, other ast.Value) ast.Value {
	if t.other == nil {
		other = t.konst
	}
	if now == nil || other == nil {
		return nil
	}
	a, b := now, other
	if t.flip {
		a, b = b, a
	}
	c := a.Compare(b)
	switch t.op {
	case "equal", "neq":
		return ast.Boolean(ast.ValueEqual(a, b) == (t.op == "equal"))
	case "lt":
		return ast.Boolean(c < 0)
	case "lte":
		return ast.Boolean(c <= 0)
	case "gt":
		return ast.Boolean(c > 0)
	}
	return ast.Boolean(c >= 0)
}

func (t clockTest) equal(o clockTest) bool {
	return t.op == o.op && t.flip == o.flip && slices.EqualFunc(t.now, o.now, (*ast.Term).Equal) &&
		slices.EqualFunc(t.other, o.other, (*ast.Term).Equal) && (t.konst == nil) == (o.konst == nil) &&
		(t.konst == nil || ast.ValueEqual(t.konst, o.konst))
}

func (r *ruleDeps) addClock(t clockTest) {
	if !slices.ContainsFunc(r.clock, t.equal) {
		r.clock = append(r.clock, t)
	}
}
