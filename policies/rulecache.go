package policies

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The rule cache carries the values of policy rules from one decision to
// the next. A rule's value is a function of the policy set and of the
// parts of the input it reads, directly or through the rules and
// functions it uses: the limits list of a key depends on the key's tier
// and overrides, the route and the image count, not on the nonce or the
// uids of the request. So the decider finds, once per compiled policy set,
// which input paths each rule reads (transitively, with the analysis the
// memo keys on: readsOf), and caches the value of a rule under its ref and
// the values of those paths in the current input. A later decision whose
// input agrees on those paths gets the value without evaluating the rule.
// Only allowed decisions hand their values over (evalcache.go: commit).
//
// This holds for any policy set, shipped or edited, except for what makes
// a value depend on more than data and input: rules that call a
// non-deterministic built-in (time.now_ns, rand.*, http.send ...) or that
// use `with`, directly or through what they call, are never cached, and
// nothing is cached or read while a `with` frame is active. A rule reading
// a path that changes on every request (now_ns) is not cached either: the
// entry could never be used again.

// depPath is one input path a rule reads: the terms after `input` (an empty
// path is the whole input).
type depPath []*ast.Term

// ruleDeps is what a rule's value depends on.
type ruleDeps struct {
	paths     []depPath
	cacheable bool
}

// depIndex holds the dependencies of every rule node of a compiled policy
// set, keyed by the node of the rule tree.
type depIndex struct {
	root  *ast.TreeNode
	nodes map[*ast.TreeNode]*ruleDeps
}

// findDeps finds what the value of every rule and function of c depends
// on: what evaluating that node's rules reads (readsOf, the analysis the
// memo keys on). A rule that reads now_ns, the whole input, calls a
// non-deterministic built-in or uses `with` (no memo could hold it) is not
// cacheable.
func findDeps(c *ast.Compiler) *depIndex {
	d := &depIndex{root: c.RuleTree, nodes: map[*ast.TreeNode]*ruleDeps{}}
	c.RuleTree.DepthFirst(func(n *ast.TreeNode) bool {
		if len(n.Values) == 0 {
			return false
		}
		starts := make([]ruleAt, 0, len(n.Values))
		for _, r := range n.Values {
			starts = append(starts, ruleAt{r, n})
		}
		rs := readsOf(c, starts, false)
		r := &ruleDeps{cacheable: rs.memo && len(rs.clocks) == 0}
		for p := range rs.paths {
			r.addPath(inputPath(p))
		}
		for name := range rs.params {
			r.addPath(depPath{ast.InternedTerm("request"), ast.InternedTerm("params"), ast.StringTerm(name)})
		}
		d.nodes[n] = r
		return false
	})
	return d
}

// inputPath is the path p ("key.limits") as terms; a path below a field of
// the input (a key of key.limits, which may hold a ".") is cut to that field.
func inputPath(p string) depPath {
	for _, leaf := range inputLeaves {
		if strings.HasPrefix(p, leaf+".") {
			p = leaf
		}
	}
	var path depPath
	for _, k := range strings.Split(p, ".") {
		path = append(path, ast.StringTerm(k))
	}
	return path
}

// addPath adds p unless a path it lies under is already there; it drops
// the paths under p.
func (r *ruleDeps) addPath(p depPath) {
	kept := r.paths[:0]
	for _, q := range r.paths {
		if q.covers(p) {
			return
		}
		if !p.covers(q) {
			kept = append(kept, q)
		}
	}
	r.paths = append(kept, p)
}

// covers reports whether q lies under p (or is p).
func (p depPath) covers(q depPath) bool {
	if len(p) > len(q) {
		return false
	}
	for i := range p {
		if !p[i].Equal(q[i]) {
			return false
		}
	}
	return true
}

// deps returns the dependencies of the rule or function a cache key names:
// a rule ref (data.facegate.limits.list, possibly followed by a key of a
// partial object) or a function call ([data.facegate.limits.charge, args...]).
func (d *depIndex) deps(key ast.Ref) *ruleDeps {
	if d == nil || len(key) == 0 {
		return nil
	}
	ref := key
	if fn, ok := key[0].Value.(ast.Ref); ok {
		ref = fn
	}
	node, _ := walkTree(d.root, ref)
	if node == nil {
		return nil
	}
	return d.nodes[node]
}

// lookupPath returns the value at p in input, or nil when undefined.
func lookupPath(input ast.Value, p depPath) ast.Value {
	v := input
	for _, k := range p {
		obj, ok := v.(ast.Object)
		if !ok {
			return nil
		}
		t := obj.Get(k)
		if t == nil {
			return nil
		}
		v = t.Value
	}
	return v
}

// ruleCache is the cross-decision store of rule values of one prepared
// policy set (Reload starts a new one). It is bounded: when it holds
// ruleCacheMax entries it is emptied.
type ruleCache struct {
	mu      sync.RWMutex
	entries map[int][]ruleCacheEntry
	n       int
	// hits and misses count lookups (tests and benchmarks read them).
	hits, misses atomic.Uint64
}

type ruleCacheEntry struct {
	ref   ast.Ref
	vals  []ast.Value // the dependency values (nil: undefined in the input)
	value *ast.Term   // nil: the rule is undefined
}

const ruleCacheMax = 16384

func newRuleCache() *ruleCache {
	return &ruleCache{entries: map[int][]ruleCacheEntry{}}
}

// depValues fills vals with the values of deps' paths in input and returns
// a hash of key and those values.
func depValues(key ast.Ref, deps *ruleDeps, input ast.Value, vals []ast.Value) ([]ast.Value, int) {
	h := key.Hash()
	for _, p := range deps.paths {
		v := lookupPath(input, p)
		vals = append(vals, v)
		if v == nil {
			h = h*31 + 7
		} else {
			h = h*31 + v.Hash()
		}
	}
	return vals, h
}

func (c *ruleCache) get(key ast.Ref, h int, vals []ast.Value) (*ast.Term, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, e := range c.entries[h] {
		if e.ref.Equal(key) && sameValues(e.vals, vals) {
			c.hits.Add(1)
			return e.value, true
		}
	}
	c.misses.Add(1)
	return nil, false
}

// ruleCacheMaxBytes bounds the strings one entry may hold: a rule reading
// a large part of the input is not worth keeping.
const ruleCacheMaxBytes = 4096

// detach returns a copy of v that shares no string memory with it, and
// false when v holds more than *budget bytes of strings. Input strings
// may be slices of a whole request body: an entry kept across requests
// must not pin it.
func detach(v ast.Value, budget *int) (ast.Value, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case ast.String:
		if *budget -= len(x); *budget < 0 {
			return nil, false
		}
		return ast.String(strings.Clone(string(x))), true
	case ast.Number:
		return ast.Number(strings.Clone(string(x))), true
	case ast.Boolean, ast.Null:
		return x, true
	case *ast.Array:
		terms := make([]*ast.Term, 0, x.Len())
		for i := range x.Len() {
			d, ok := detach(x.Elem(i).Value, budget)
			if !ok {
				return nil, false
			}
			terms = append(terms, ast.NewTerm(d))
		}
		return ast.NewArray(terms...), true
	case ast.Object:
		items := make([][2]*ast.Term, 0, x.Len())
		ok := true
		x.Foreach(func(k, val *ast.Term) {
			if !ok {
				return
			}
			dk, okk := detach(k.Value, budget)
			dv, okv := detach(val.Value, budget)
			ok = okk && okv
			items = append(items, [2]*ast.Term{ast.NewTerm(dk), ast.NewTerm(dv)})
		})
		if !ok {
			return nil, false
		}
		return ast.NewObject(items...), true
	case ast.Set:
		terms := make([]*ast.Term, 0, x.Len())
		ok := true
		x.Foreach(func(t *ast.Term) {
			if !ok {
				return
			}
			d, okd := detach(t.Value, budget)
			ok = okd
			terms = append(terms, ast.NewTerm(d))
		})
		if !ok {
			return nil, false
		}
		return ast.NewSet(terms...), true
	}
	return nil, false // anything else (refs, comprehensions) is not a value to keep
}

// detachEntry makes e safe to keep across requests, or reports false.
func detachEntry(e ruleCacheEntry) (ruleCacheEntry, bool) {
	budget := ruleCacheMaxBytes
	for i, v := range e.vals {
		d, ok := detach(v, &budget)
		if !ok {
			return e, false
		}
		e.vals[i] = d
	}
	ref := make(ast.Ref, len(e.ref))
	for i, t := range e.ref {
		switch t.Value.(type) {
		case ast.Var, ast.Ref: // data, or a function's ref: from the policy
			ref[i] = t
		default: // a key or an argument: may come from the input
			d, ok := detach(t.Value, &budget)
			if !ok {
				return e, false
			}
			ref[i] = ast.NewTerm(d)
		}
	}
	e.ref = ref
	if e.value != nil {
		d, ok := detach(e.value.Value, &budget)
		if !ok {
			return e, false
		}
		e.value = ast.NewTerm(d)
	}
	return e, true
}

// put stores value for key (already a copy, with vals owned by the entry).
func (c *ruleCache) put(key ast.Ref, h int, vals []ast.Value, value *ast.Term) {
	e := ruleCacheEntry{ref: key, vals: vals, value: value}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, old := range c.entries[h] {
		if old.ref.Equal(key) && sameValues(old.vals, vals) {
			return
		}
	}
	if c.n >= ruleCacheMax {
		clear(c.entries)
		c.n = 0
	}
	c.entries[h] = append(c.entries[h], e)
	c.n++
}

func sameValues(a, b []ast.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || (a[i] != nil && a[i].Compare(b[i]) != 0) {
			return false
		}
	}
	return true
}
