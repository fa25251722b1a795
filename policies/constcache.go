package policies

import (
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// constantRule is a policy rule whose value does not depend on the input:
// `name := <ground value>` with no body, no else, no default and no other
// rule defining the same document (the route table, the tier limits).
type constantRule struct {
	ref   ast.Ref
	value *ast.Term
}

// constants are the constant rules of one compiled policy set, indexed by
// the hash of their ref. They are computed once per prepared policy set
// (so a Reload replaces them) and only ever read afterwards.
type constants map[int][]constantRule

// findConstants collects the constant rules of a compiled policy set.
func findConstants(c *ast.Compiler) constants {
	names := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		names = append(names, name)
	}
	sort.Strings(names)
	consts := constants{}
	for _, name := range names {
		for _, r := range c.Modules[name].Rules {
			if !isConstantRule(r) {
				continue
			}
			ref := r.Ref()
			node := c.RuleTree.Find(ref)
			if !ref.IsGround() || node == nil || len(node.Values) != 1 || len(node.Children) != 0 {
				continue
			}
			h := ref.Hash()
			consts[h] = append(consts[h], constantRule{ref: ref, value: r.Head.Value})
		}
	}
	return consts
}

// isConstantRule reports whether r is `name := <ground value>` (its
// compiled body is the single expression `true`).
func isConstantRule(r *ast.Rule) bool {
	h := r.Head
	return !r.Default && r.Else == nil && len(h.Args) == 0 && h.Key == nil &&
		h.Value != nil && h.Value.IsGround() &&
		len(r.Body) == 1 && r.Body[0].Equal(ast.NewExpr(ast.InternedTerm(true)))
}

func (cs constants) lookup(ref ast.Ref) *ast.Term {
	for _, c := range cs[ref.Hash()] {
		if c.ref.Equal(ref) {
			return c.value
		}
	}
	return nil
}

// constCache is the virtual document cache of one evaluation: OPA's own,
// with the constant rules already answered, so that the evaluator does not
// evaluate the route and tier tables again on every request. Inside a
// `with` (a pushed frame) it defers to OPA's cache entirely, because `with`
// may replace data.
type constCache struct {
	topdown.VirtualCache
	consts constants
	depth  int
}

func newConstCache(consts constants) *constCache {
	return &constCache{VirtualCache: topdown.NewVirtualCache(), consts: consts}
}

// Push enters a `with` frame.
func (c *constCache) Push() {
	c.depth++
	c.VirtualCache.Push()
}

// Pop leaves a `with` frame.
func (c *constCache) Pop() {
	c.depth--
	c.VirtualCache.Pop()
}

// Get answers constant rules outside `with` frames, and defers to OPA's
// cache otherwise.
func (c *constCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if c.depth == 0 {
		if v := c.consts.lookup(ref); v != nil {
			return v, false
		}
	}
	return c.VirtualCache.Get(ref)
}
