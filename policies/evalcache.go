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

// evalCache is the virtual document cache of one evaluation (the values
// of rules already evaluated, so that a rule referenced twice is evaluated
// once), replacing OPA's default one, which is a trie of hash maps and
// costs about ten allocations per rule. It is a flat map from the hash of
// a rule's ref to its entries, one per `with` frame like OPA's, and it
// answers the policy set's constant rules without evaluating them, except
// inside a `with` frame, because `with` may replace data.
//
// It follows topdown.VirtualCache's contract: Get answers (value, false)
// for a cached value, (nil, true) for a ref cached as undefined and
// (nil, false) for a ref not in the cache; only the top frame is visible.
type evalCache struct {
	consts constants
	// rules and input, when set, are the rule cache shared by decisions
	// (rulecache.go) and this decision's input. Values computed here are
	// only handed to it by commit, after the evaluation succeeded.
	deps   *depIndex
	rules  *ruleCache
	input  ast.Value
	frames []cacheFrame
	// refs holds the copies of the cached refs, so that caching a rule
	// does not allocate once the arena has grown.
	refs []*ast.Term
}

// cacheFrame is the cache of one `with` frame: entries chained by ref
// hash through next (an index + 1 into entries; 0 ends the chain).
type cacheFrame struct {
	first   map[int]int
	entries []cacheEntry
}

type cacheEntry struct {
	ref   ast.Ref
	value *ast.Term // nil: undefined
	next  int
}

// cacheSize is about the number of rules an allowed request evaluates.
const cacheSize = 32

func newEvalCache(consts constants) *evalCache {
	c := &evalCache{consts: consts, refs: make([]*ast.Term, 0, 4*cacheSize)}
	c.frames = append(make([]cacheFrame, 0, 2), newCacheFrame(cacheSize))
	return c
}

// withRules makes the cache consult and feed the shared rule cache for
// the evaluation of input.
func (c *evalCache) withRules(deps *depIndex, rules *ruleCache, input ast.Value) *evalCache {
	c.deps, c.rules, c.input = deps, rules, input
	return c
}

// shared returns the dependencies of ref when its value may be shared with
// other decisions: a cacheable rule, outside any `with` frame.
func (c *evalCache) shared(ref ast.Ref) *ruleDeps {
	if c.rules == nil || len(c.frames) != 1 {
		return nil
	}
	if d := c.deps.deps(ref); d != nil && d.cacheable {
		return d
	}
	return nil
}

// commit hands the values of cacheable rules computed outside `with`
// frames by a successful evaluation to the shared rule cache. (OPA records
// a complete rule's value as soon as one body yields it; a conflicting
// value from another body fails the evaluation later, so nothing is
// shared before the end, and the cost of keeping a value is only paid for
// decisions that share theirs.)
func (c *evalCache) commit() {
	if c.rules == nil || len(c.frames) != 1 {
		return
	}
	for _, e := range c.frames[0].entries {
		d := c.shared(e.ref)
		if d == nil {
			continue
		}
		vals, h := depValues(e.ref, d, c.input, nil)
		if e, ok := detachEntry(ruleCacheEntry{ref: e.ref, vals: vals, value: e.value}); ok {
			c.rules.put(e.ref, h, e.vals, e.value)
		}
	}
}

func newCacheFrame(size int) cacheFrame {
	return cacheFrame{first: make(map[int]int, size), entries: make([]cacheEntry, 0, size)}
}

// Push enters a `with` frame: an empty cache until Pop.
func (c *evalCache) Push() {
	c.frames = append(c.frames, newCacheFrame(0))
}

// Pop leaves a `with` frame.
func (c *evalCache) Pop() {
	c.frames = c.frames[:len(c.frames)-1]
}

func (f *cacheFrame) find(ref ast.Ref, h int) *cacheEntry {
	for i := f.first[h]; i != 0; i = f.entries[i-1].next {
		if e := &f.entries[i-1]; e.ref.Equal(ref) {
			return e
		}
	}
	return nil
}

// Get answers constant rules outside `with` frames, and the top frame's
// entries otherwise.
func (c *evalCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if len(c.frames) == 1 {
		if v := c.consts.lookup(ref); v != nil {
			return v, false
		}
	}
	if e := c.frames[len(c.frames)-1].find(ref, ref.Hash()); e != nil {
		return e.value, e.value == nil
	}
	if d := c.shared(ref); d != nil {
		var buf [8]ast.Value
		vals, h := depValues(ref, d, c.input, buf[:0])
		if v, ok := c.rules.get(ref, h, vals); ok {
			return v, v == nil
		}
	}
	return nil, false
}

// Put records the value of ref in the top frame; a nil value records that
// ref is undefined.
func (c *evalCache) Put(ref ast.Ref, value *ast.Term) {
	f := &c.frames[len(c.frames)-1]
	h := ref.Hash()
	if e := f.find(ref, h); e != nil {
		e.value = value
		return
	}
	// The evaluator may reuse the slice it passed: keep a copy of the ref
	// (its terms are never mutated, as in OPA's own cache).
	start := len(c.refs)
	c.refs = append(c.refs, ref...)
	f.entries = append(f.entries, cacheEntry{ref: c.refs[start:len(c.refs):len(c.refs)], value: value, next: f.first[h]})
	f.first[h] = len(f.entries)
}

// Keys lists the refs with a value in the top frame.
func (c *evalCache) Keys() []ast.Ref {
	var keys []ast.Ref
	for _, e := range c.frames[len(c.frames)-1].entries {
		if e.value != nil {
			keys = append(keys, e.ref)
		}
	}
	return keys
}

var _ topdown.VirtualCache = (*evalCache)(nil)
