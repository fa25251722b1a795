package policies

import (
	"maps"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// depPath is one input path a rule reads: the terms after `input` (an empty
// path is the whole input).
type depPath []*ast.Term

// ruleDeps is what a rule's value depends on: the values of paths, and
// the outcomes of clock tests.
type ruleDeps struct {
	paths     []depPath
	clock     []clockTest
	cacheable bool
	// lookups and hits count the rule cache's answers for the rule, so that
	// a rule whose values are rarely reused (it reads what changes on every
	// request) stops paying for them (churning).
	lookups, hits atomic.Uint32
}

// churning reports whether the rule's cached values are rarely reused: at
// least 64 lookups, fewer than one in four answered (counts halve every
// 4096 lookups, so that the rule is judged on recent traffic).
func (r *ruleDeps) churning() bool {
	l := r.lookups.Load()
	return l >= 64 && r.hits.Load()*4 < l
}

// counted records a lookup of the rule.
func (r *ruleDeps) counted(hit bool) {
	if hit {
		r.hits.Add(1)
	}
	if r.lookups.Add(1) >= 4096 {
		r.lookups.Store(2048)
		r.hits.Store(r.hits.Load() / 2)
	}
}

// volatileInput is the input path that differs on every request.
var volatileInput = ast.StringTerm("now_ns")

// depIndex holds the dependencies of every rule node of a compiled policy
// set, keyed by the node of the rule tree.
type depIndex struct {
	root  *ast.TreeNode
	nodes map[*ast.TreeNode]*ruleDeps
}

// findDeps computes the input dependencies of every rule of c.
func findDeps(c *ast.Compiler) *depIndex {
	d := &depIndex{root: c.RuleTree, nodes: map[*ast.TreeNode]*ruleDeps{}}
	inProgress := map[*ast.TreeNode]bool{}
	var nodeDeps func(n *ast.TreeNode) *ruleDeps
	// subtree gathers the deps of n and everything below it (a reference to
	// a package or to a rule prefix reads all of them).
	var subtree func(n *ast.TreeNode, into *ruleDeps)
	subtree = func(n *ast.TreeNode, into *ruleDeps) {
		into.merge(nodeDeps(n))
		for _, k := range n.Sorted {
			subtree(n.Children[k], into)
		}
	}
	nodeDeps = func(n *ast.TreeNode) *ruleDeps {
		if r, ok := d.nodes[n]; ok {
			return r
		}
		r := &ruleDeps{cacheable: true}
		if inProgress[n] { // a rule's own ref (partial rules): nothing new
			return r
		}
		inProgress[n] = true
		for _, rule := range n.Values {
			d.collect(rule, r, nil, subtree)
		}
		delete(inProgress, n)
		for _, p := range r.paths {
			if isVolatile(p) {
				r.cacheable = false
			}
		}
		d.nodes[n] = r
		return r
	}
	d.root.DepthFirst(func(n *ast.TreeNode) bool {
		if len(n.Values) > 0 {
			nodeDeps(n)
		}
		return false
	})
	return d
}

// walkTree follows ref's leading ground terms down the rule tree and
// returns the deepest node reached (nil when ref is not under data).
func walkTree(root *ast.TreeNode, ref ast.Ref) (*ast.TreeNode, int) {
	node := root
	i := 0
	for ; i < len(ref); i++ {
		if i > 0 && !ref[i].IsGround() { // ref[0] is the var data
			break
		}
		next := node.Child(ref[i].Value)
		if next == nil {
			break
		}
		node = next
	}
	if i == 0 {
		return nil, 0
	}
	return node, i
}

// collect adds to r the input paths rule reads and the deps of the rules
// and functions it references (subtree); it marks r not cacheable for
// `with` and non-deterministic built-ins. bound gives the values of the
// function's arguments at a call with ground arguments (nil otherwise).
func (d *depIndex) collect(rule *ast.Rule, r *ruleDeps, bound map[ast.Var][]*ast.Term, subtree func(*ast.TreeNode, *ruleDeps)) {
	dataRef := func(ref ast.Ref) {
		if node, _ := walkTree(d.root, ref); node != nil {
			subtree(node, r)
		}
	}
	choices := finiteVars(rule, bound)
	uses := map[ast.Var]int{}
	ast.WalkVars(rule, func(v ast.Var) bool {
		uses[v]++
		return false
	})
	var vis *ast.GenericVisitor
	vis = ast.NewGenericVisitor(func(x any) bool {
		switch x := x.(type) {
		case *ast.Expr:
			if len(x.With) > 0 {
				r.cacheable = false
			}
			if node, args := d.groundCall(x); node != nil { // the function's body read with these arguments
				for _, fn := range node.Values {
					bound := map[ast.Var][]*ast.Term{}
					for i, a := range fn.Head.Args {
						_, str := args[i].Value.(ast.String)
						if v, ok := a.Value.(ast.Var); ok && str {
							bound[v] = args[i : i+1]
						}
					}
					d.collect(fn, r, bound, subtree)
				}
				for _, op := range x.Operands() {
					vis.Walk(op)
				}
				return true
			}
		case ast.Body:
			tests, replaced := clockTests(x, uses)
			if len(tests) == 0 {
				return false
			}
			for _, t := range tests {
				r.addClock(t)
				if t.other != nil {
					r.addPath(t.other)
				}
			}
			for _, e := range x {
				if !replaced[e] {
					vis.Walk(e)
				} else if e.IsCall() && !e.IsEquality() {
					for _, op := range e.Operands()[2:] { // the output of `x := a < b`
						vis.Walk(op)
					}
				}
			}
			return true
		case *ast.Term:
			switch v := x.Value.(type) {
			case ast.Ref:
				r.addRef(v, dataRef, choices)
				for _, t := range v[1:] { // the head is handled by addRef
					vis.Walk(t)
				}
				return true
			case ast.Var:
				switch {
				case v.Equal(ast.InputRootDocument.Value):
					r.addPath(depPath{})
				case v.Equal(ast.DefaultRootDocument.Value):
					dataRef(ast.DefaultRootRef)
				}
			}
		}
		return false
	})
	vis.Walk(rule)
}

// groundCall returns the node of the function x calls and its arguments,
// when they are all ground (nil otherwise).
func (d *depIndex) groundCall(x *ast.Expr) (*ast.TreeNode, []*ast.Term) {
	if !x.IsCall() || !x.Operator()[0].Equal(ast.DefaultRootDocument) {
		return nil, nil
	}
	ref := x.Operator()
	node, i := walkTree(d.root, ref)
	if node == nil || i != len(ref) || len(node.Values) == 0 || len(node.Children) > 0 {
		return nil, nil
	}
	args := x.Operands()
	for _, fn := range node.Values {
		n := len(fn.Head.Args)
		if n == 0 || n > len(args) || !ast.NewArray(args[:n]...).IsGround() {
			return nil, nil
		}
	}
	return node, args
}

// finiteVars finds the variables of rule that take their values from a
// ground array of strings (`some name in ["uids", "uid"]`, compiled to
// `__local1__ = ["uids", "uid"]; __local2__ = __local1__[__local3__]`),
// starting from bound.
func finiteVars(rule *ast.Rule, bound map[ast.Var][]*ast.Term) map[ast.Var][]*ast.Term {
	choices, colls := map[ast.Var][]*ast.Term{}, map[ast.Var][]*ast.Term{}
	maps.Copy(choices, bound)
	ast.WalkExprs(rule, func(e *ast.Expr) bool {
		for i := range 2 {
			if !e.IsEquality() || e.Negated {
				break
			}
			v, ok := e.Operand(i).Value.(ast.Var)
			if !ok {
				continue
			}
			switch o := e.Operand(1 - i).Value.(type) {
			case *ast.Array:
				if elems := stringElems(o); elems != nil {
					colls[v] = elems
				}
			case ast.Ref:
				if c, ok := o[0].Value.(ast.Var); ok && len(o) == 2 && colls[c] != nil {
					choices[v] = colls[c]
				}
			}
		}
		return false
	})
	return choices
}

// stringElems returns the elements of a when they are all strings.
func stringElems(a *ast.Array) []*ast.Term {
	var elems []*ast.Term
	for i := range a.Len() {
		if _, ok := a.Elem(i).Value.(ast.String); !ok {
			return nil
		}
		elems = append(elems, a.Elem(i))
	}
	return elems
}

func (r *ruleDeps) addRef(ref ast.Ref, dataRef func(ast.Ref), choices map[ast.Var][]*ast.Term) {
	head, ok := ref[0].Value.(ast.Var)
	if !ok {
		return
	}
	switch {
	case head.Equal(ast.InputRootDocument.Value):
		p := depPath{}
		for _, t := range ref[1:] {
			if v, ok := t.Value.(ast.Var); ok && choices[v] != nil { // one path per value
				for _, c := range choices[v] {
					r.addPath(append(p[:len(p):len(p)], c))
				}
				return
			}
			if _, ok := t.Value.(ast.String); !ok {
				break
			}
			p = append(p, t)
		}
		r.addPath(p)
	case head.Equal(ast.DefaultRootDocument.Value):
		dataRef(ref)
	default:
		// A built-in call's operator (count, time.now_ns) or a local.
		if b, ok := ast.BuiltinMap[ref.String()]; ok && b.Nondeterministic {
			r.cacheable = false
		}
	}
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

func (r *ruleDeps) merge(o *ruleDeps) {
	if !o.cacheable {
		r.cacheable = false
	}
	for _, t := range o.clock {
		r.addClock(t)
	}
	for _, p := range o.paths {
		r.addPath(p)
	}
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

func isVolatile(p depPath) bool {
	return len(p) == 0 || p[0].Equal(volatileInput) // the whole input contains now_ns
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
