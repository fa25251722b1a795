package policies

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// evalCache is the virtual document cache of one evaluation (the values
// of rules already evaluated, so that a rule referenced twice is evaluated
// once), replacing OPA's default one, which is a trie of hash maps and
// costs about ten allocations per rule. It is a flat map from the hash of
// a rule's ref to its entries, one per `with` frame like OPA's. Outside
// `with` frames it also consults the rule cache shared by decisions, which
// answers constant rules (the route table, the tier limits) after their
// first evaluation.
//
// It follows topdown.VirtualCache's contract: Get answers (value, false)
// for a cached value, (nil, true) for a ref cached as undefined and
// (nil, false) for a ref not in the cache; only the top frame is visible.
type evalCache struct {
	// rules and input, when set, are the rule cache shared by decisions
	// (rulecache.go) and this evaluation's input. Values computed here are
	// only handed to it by commit, after the evaluation succeeded.
	deps    *depIndex
	rules   *ruleCache
	input   ast.Value
	sample  bool // also share the values of churning rules (ruleDeps.churning)
	pending []pendingValue
	scratch []byte // the key of a lookup
	frames  []cacheFrame
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

// pendingValue is a rule value for the rule cache, kept until commit.
type pendingValue struct {
	key   string
	value *ast.Term
}

type cacheEntry struct {
	ref   ast.Ref
	value *ast.Term // nil: undefined
	next  int
}

// cacheSize is about the number of rules an allowed request evaluates.
const cacheSize = 32

func newEvalCache() *evalCache {
	c := &evalCache{refs: make([]*ast.Term, 0, 4*cacheSize)}
	c.frames = append(make([]cacheFrame, 0, 2), newCacheFrame(cacheSize))
	return c
}

// withRules makes the cache consult and feed the shared rule cache for
// the evaluation of input.
func (c *evalCache) withRules(deps *depIndex, rules *ruleCache, input ast.Value) {
	c.deps, c.rules, c.input = deps, rules, input
	c.sample = rules.evals.Add(1)%sampleEvery == 0
}

// shared returns the dependencies of ref when its value may be shared with
// other decisions: a cacheable rule, outside any `with` frame.
func (c *evalCache) shared(ref ast.Ref) *ruleDeps {
	if c.rules == nil || len(c.frames) != 1 {
		return nil
	}
	if d := c.deps.deps(ref); d != nil && d.cacheable && (c.sample || !d.churning()) {
		return d
	}
	return nil
}

// commit hands the values of cacheable rules computed by a successful
// evaluation to the shared rule cache. (OPA records a complete rule's
// value as soon as one body yields it; a conflicting value from another
// body fails the evaluation later, so nothing is shared before the end.)
func (c *evalCache) commit() {
	for _, e := range c.pending {
		c.rules.put(e.key, e.value)
	}
	c.pending = c.pending[:0]
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

// Get answers from the top frame's entries, then (outside `with` frames)
// from the rule cache.
func (c *evalCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if e := c.frames[len(c.frames)-1].find(ref, ref.Hash()); e != nil {
		return e.value, e.value == nil
	}
	if d := c.shared(ref); d != nil {
		key, fits := appendRuleKey(c.scratch[:0], ref, d, c.input)
		c.scratch = key
		if !fits {
			return nil, false
		}
		v, ok := c.rules.get(key)
		d.counted(ok)
		if ok {
			return v, v == nil
		}
	}
	return nil, false
}

// Put records the value of ref in the top frame; a nil value records that
// ref is undefined.
func (c *evalCache) Put(ref ast.Ref, value *ast.Term) {
	if d := c.shared(ref); d != nil {
		if key, fits := appendRuleKey(c.scratch[:0], ref, d, c.input); fits {
			c.scratch = key
			c.pending = append(c.pending, pendingValue{string(key), value})
		}
	}
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
