package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// readSet is what data.facegate.decision (or a set of deny rules, for the
// denial ranks) reads of the input, found once per compiled policy set from
// the rules it can reach: the memo keys a decision on exactly that
// (memokey.go).
type readSet struct {
	// memo is false when no key can be derived: the decision reads the
	// whole input, uses now_ns other than in a comparison, calls a
	// non-deterministic built-in or uses `with`.
	memo bool
	// paths are the static input paths read ("request.method",
	// "key.limits", "request.params" for the whole params object).
	paths map[string]bool
	// params are the params read by name. True: every read is a list the
	// rules only split on ",", trim and look at through what
	// appendListShape encodes; false: the value as sent matters.
	params map[string]bool
	// members are the params read by name whose names (the whole value
	// trimmed, each item, each item's namespace after "@") the rules only
	// test for membership in key.namespaces, besides what appendListShape
	// encodes: appendListShape keeps that membership instead of the
	// names, so that requests naming other namespaces the key does not own
	// share an entry.
	members map[string]bool
	// routes, when not nil, are the constants the route is compared with
	// or looked up among in constant objects (the route table), when that
	// is all the rules do with it: the key holds which of them the route
	// is, or none (memokey.go). Nil: the route is keyed as sent (or not
	// read).
	routes map[string]bool
	// clocks are the operands that now_ns is compared with: input paths,
	// or "#<number>" for constants.
	clocks map[string]bool
	// why holds, per param ("" for the memo), the expression that made it
	// raw (or the memo impossible).
	why map[string]string
}

// taint is what a value computed by a rule is, relative to the param of
// the pass (rawList and what is derived from it) or to now_ns (isNow); a
// clean value is one the key determines.
type taint struct {
	kind taintKind
	src  ast.Var // the item an index was computed from
	path string  // for untainted locals: the static input path they hold
	// strs: an untainted array of strings (choices: one of them)
	strs, choices []string
}

type taintKind uint8

const (
	clean      taintKind = iota
	rawList              // the param's value
	trimmed              // trim_space of the value: compared with "" only
	parts                // split(value, ",")
	part                 // an element of parts
	listItem             // trim_space of a part
	itemArray            // an array of items in list order
	itemSet              // a set of items
	index                // indexof(item, "@")
	after                // index + 1
	suffix               // an item's namespace after its first "@" (member passes)
	routeVal             // input.request.route (the route pass)
	isNow                // input.now_ns
	wholeInput           // a local bound to input: read where it is used
)

// analysis walks the rules reachable from the decision. It runs once for
// the paths and the clock (param == "") and once per param read by name.
type analysis struct {
	c      *ast.Compiler
	param  string
	member bool // the pass of members: names only tested against key.namespaces
	route  bool // the route pass: the route only compared with constants
	rs     *readSet
	failed bool                    // this pass's value needs its raw encoding (or no memo)
	at     *ast.Expr               // the expression analysed
	nodes  map[*ast.TreeNode]taint // the values of rules
	// setIters counts iterations over sets of items: their order and
	// duplicates follow the items' names, which the key does not hold.
	setIters int
	changed  bool
	summary  map[callKey]taint // functions analysed, by argument kinds
	active   map[callKey]bool
}

type callKey struct {
	node *ast.TreeNode
	args string
}

// findReads analyses what the compiled policy set's decision reads.
func findReads(c *ast.Compiler) *readSet {
	root, _ := walkTree(c.RuleTree, ast.MustParseRef(Query))
	var starts []ruleAt
	if root != nil {
		for _, r := range root.Values {
			starts = append(starts, ruleAt{r, root})
		}
	}
	return readsOf(c, starts, true)
}

// readsOf analyses what evaluating the rules starts reads (a function
// among them called with any arguments). A policy it cannot follow gets no
// memo, never a failure: it recovers from anything unexpected. Without
// shapes, the params read are not analysed further (all count as raw).
func readsOf(c *ast.Compiler, starts []ruleAt, shapes bool) (rs *readSet) {
	defer func() {
		if recover() != nil {
			rs = &readSet{why: map[string]string{"": "analysis failed"}}
		}
	}()
	rs = &readSet{memo: true, paths: map[string]bool{}, params: map[string]bool{}, members: map[string]bool{},
		clocks: map[string]bool{}, why: map[string]string{}}
	rules := reachableRules(c.RuleTree, starts)
	run := func(param string, member, route bool) bool {
		a := &analysis{c: c, param: param, member: member, route: route, rs: rs, nodes: map[*ast.TreeNode]taint{}}
		for i := 0; i == 0 || a.changed && i < 8; i++ {
			a.changed, a.summary, a.active = false, map[callKey]taint{}, map[callKey]bool{}
			for i, r := range rules {
				if len(r.rule.Head.Args) > 0 {
					if i < len(starts) { // a function started from: any arguments
						env := map[ast.Var]taint{}
						for _, arg := range r.rule.Head.Args {
							if v, ok := arg.Value.(ast.Var); ok {
								env[v] = taint{}
							}
						}
						a.rule(r.rule, env)
					}
					continue // functions: per call, with their arguments (a.function)
				}
				t := a.rule(r.rule, map[ast.Var]taint{})
				old := a.nodes[r.node]
				if n := merge(a, old, t); n.kind != old.kind {
					a.nodes[r.node], a.changed = n, true
				}
			}
		}
		return !a.failed && !a.changed
	}
	if !run("", false, false) {
		rs.memo = false
	}
	for name := range rs.params {
		rs.params[name] = shapes && run(name, false, false)
		rs.members[name] = shapes && run(name, true, false)
	}
	if shapes && rs.memo && rs.reads(routeLeaf) {
		rs.routes = map[string]bool{}
		if !run("", false, true) {
			rs.routes = nil
		}
	}
	return rs
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

type ruleAt struct {
	rule *ast.Rule
	node *ast.TreeNode
}

// reachableRules lists the rules (each with its else branches) that
// evaluating the rules starts may evaluate, starts first.
func reachableRules(tree *ast.TreeNode, starts []ruleAt) []ruleAt {
	seen := map[*ast.TreeNode]bool{}
	rules := append([]ruleAt(nil), starts...)
	var visit func(n *ast.TreeNode)
	walk := func(r *ast.Rule) {
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			if ref[0].Equal(ast.DefaultRootDocument) {
				n, i := walkTree(tree, ref)
				if n != nil && (i == len(ref) || len(n.Values) > 0 || !ref[i].IsGround()) {
					visitAll(n, visit)
				}
			}
			return false
		})
		var vis *ast.GenericVisitor
		vis = ast.NewGenericVisitor(func(x any) bool {
			t, ok := x.(*ast.Term)
			if !ok {
				return false
			}
			switch v := t.Value.(type) {
			case ast.Ref: // its head is data, input or a local, not a bare data
				for _, k := range v[1:] {
					vis.Walk(k)
				}
				return true
			case ast.Var:
				if v.Equal(ast.DefaultRootDocument.Value) { // the whole of data
					visitAll(tree, visit)
				}
			}
			return false
		})
		vis.Walk(r)
	}
	visit = func(n *ast.TreeNode) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, r := range n.Values {
			rules = append(rules, ruleAt{r, n})
			walk(r)
		}
	}
	for _, r := range starts {
		walk(r.rule)
	}
	return rules
}

func visitAll(n *ast.TreeNode, visit func(*ast.TreeNode)) {
	if n == nil {
		return
	}
	visit(n)
	for _, k := range n.Sorted {
		visitAll(n.Children[k], visit)
	}
}

func (a *analysis) fail() {
	if !a.failed && a.at != nil && !a.member && !a.route { // why a param is raw, or there is no memo
		a.rs.why[a.param] = a.at.String()
	}
	a.failed = true
}

// rule analyses one rule (and its else branches) with env binding the
// function's arguments, and records the taint of its value.
func (a *analysis) rule(r *ast.Rule, env map[ast.Var]taint) taint {
	var val taint
	for ; r != nil; r = r.Else {
		env := copyEnv(env)
		a.body(r.Body, env)
		var t taint
		switch {
		case r.Head.Key != nil && r.Head.Value == nil: // partial set
			if t = a.term(r.Head.Key, env); t.kind == listItem {
				t = taint{kind: itemSet}
			}
		case r.Head.Key != nil: // partial object
			if a.term(r.Head.Key, env).kind != clean || a.term(r.Head.Value, env).kind != clean {
				a.fail()
			}
		default:
			t = a.term(r.Head.Value, env)
		}
		val = merge(a, val, t)
	}
	return val
}

func merge(a *analysis, x, y taint) taint {
	switch {
	case x.kind == clean:
		return taint{kind: y.kind}
	case y.kind == clean || x.kind == y.kind:
		return taint{kind: x.kind}
	}
	a.fail()
	return taint{}
}

func copyEnv(env map[ast.Var]taint) map[ast.Var]taint {
	c := make(map[ast.Var]taint, len(env)+8)
	for k, v := range env {
		c[k] = v
	}
	return c
}

func (a *analysis) body(b ast.Body, env map[ast.Var]taint) {
	for _, e := range b {
		a.expr(e, env)
	}
}

func (a *analysis) expr(e *ast.Expr, env map[ast.Var]taint) {
	a.at = e
	if len(e.With) > 0 {
		a.rs.memo = false
	}
	switch x := e.Terms.(type) {
	case *ast.Term:
		a.term(x, env) // a condition: defined and not false
	case *ast.Every:
		if a.term(x.Domain, env).kind != clean {
			a.fail()
		}
		a.body(x.Body, copyEnv(env))
	case []*ast.Term:
		if e.IsEquality() {
			a.unify(x[1], x[2], env)
			return
		}
		a.call(e, env)
	}
}

// unify handles `x = y`: binds an unbound var, or compares.
func (a *analysis) unify(l, r *ast.Term, env map[ast.Var]taint) {
	for _, p := range [][2]*ast.Term{{l, r}, {r, l}} {
		if v, ok := p[0].Value.(ast.Var); ok {
			if _, bound := env[v]; !bound {
				if isInputRoot(p[1]) { // the compiler's local for object.get(input, ...)
					env[v] = taint{kind: wholeInput}
				} else {
					env[v] = a.term(p[1], env)
				}
				return
			}
		}
	}
	lt, rt := a.term(l, env), a.term(r, env)
	if !a.compare("equal", lt, rt, l, r) {
		a.fail()
	}
}

// compare reports whether comparing x and y reveals only what the key
// holds (recording clock comparisons).
func (a *analysis) compare(op string, x, y taint, xt, yt *ast.Term) bool {
	if x.kind == clean && y.kind == clean {
		return true
	}
	swapped := y.kind != clean
	if swapped {
		x, y, xt, yt = y, x, yt, xt
	}
	if y.kind != clean {
		return false
	}
	konst := ""
	if s, ok := yt.Value.(ast.String); ok {
		konst = "s" + string(s)
	} else if n, ok := yt.Value.(ast.Number); ok {
		konst = "n" + n.String()
	}
	switch x.kind {
	case trimmed:
		return (op == "equal" || op == "neq") && konst == "s"
	case listItem:
		return (op == "equal" || op == "neq") && (konst == "s" || konst == "sall")
	case index:
		// i is -1 or a position: only its sign is in the key
		return konst == "n-1" || !swapped && (op == "gte" || op == "lt") && konst == "n0"
	case routeVal:
		if (op == "equal" || op == "neq") && konst != "" && konst[0] == 's' {
			a.rs.routes[konst[1:]] = true
			return true
		}
		return false
	case isNow:
		switch {
		case y.path != "":
			a.rs.clocks[y.path] = true
		case konst != "" && konst[0] == 'n':
			a.rs.clocks["#"+konst[1:]] = true
		default:
			return false
		}
		return true
	}
	return false
}

var comparisons = map[string]bool{"equal": true, "neq": true, "lt": true, "lte": true, "gt": true, "gte": true}

// call handles a built-in or function call, binding its output.
func (a *analysis) call(e *ast.Expr, env map[ast.Var]taint) {
	op := e.Operator()
	ops := e.Operands()
	if r := inputGetRef(op, ops, env); r != nil {
		// object.get(input, ["a", "b"], default) reads input.a.b, as the
		// reference does (the default when it is undefined).
		ops = append([]*ast.Term{ast.NewTerm(r)}, ops[2:]...)
		op = ast.Ref{ast.VarTerm("object.get.input")}
	}
	var args []taint
	tainted := false
	for _, t := range ops {
		tt := a.term(t, env)
		args = append(args, tt)
		tainted = tainted || tt.kind != clean
	}
	out := taint{}
	arity := len(ops)
	if op.String() == "object.get.input" {
		arity = 2
		if tainted {
			a.fail() // a raw param, or a tainted default
		}
	} else if op[0].Equal(ast.DefaultRootDocument) {
		node, _ := walkTree(a.c.RuleTree, op)
		if node != nil && len(node.Values) > 0 {
			fn := node.Values[0]
			arity = len(fn.Head.Args)
			out = a.function(node, args[:min(arity, len(args))])
		}
	} else {
		name := op.String()
		b := ast.BuiltinMap[name]
		if b != nil {
			if b.Nondeterministic {
				a.rs.memo = false
			}
			arity = len(b.Decl.FuncArgs().Args)
		}
		if tainted {
			out = a.builtin(name, args[:min(arity, len(args))], ops)
		}
	}
	if len(ops) > arity { // the output
		o := ops[arity]
		if v, ok := o.Value.(ast.Var); ok {
			if _, bound := env[v]; !bound {
				env[v] = out
				return
			}
		}
		if out.kind != clean || args[arity].kind != clean {
			a.fail()
		}
	}
}

// inputGetRef is input.a.b for a call object.get(input, ["a", "b"], x)
// (a constant path of strings), or nil.
func inputGetRef(op ast.Ref, ops []*ast.Term, env map[ast.Var]taint) ast.Ref {
	if op.String() != ast.ObjectGet.Name || len(ops) < 3 {
		return nil
	}
	if v, ok := ops[0].Value.(ast.Var); !(ok && env[v].kind == wholeInput) && !isInputRoot(ops[0]) {
		return nil
	}
	path, ok := ops[1].Value.(*ast.Array)
	if !ok {
		return nil
	}
	r := ast.InputRootRef.Copy()
	for i := range path.Len() {
		if _, ok := path.Elem(i).Value.(ast.String); !ok {
			return nil
		}
		r = append(r, path.Elem(i))
	}
	return r
}

// isInputRoot reports whether t is the reference `input` (the whole input).
func isInputRoot(t *ast.Term) bool {
	r, ok := t.Value.(ast.Ref)
	return ok && r.Equal(ast.InputRootRef)
}

// builtin is the taint of a built-in's result on tainted arguments.
func (a *analysis) builtin(name string, args []taint, ops []*ast.Term) taint {
	k := func(i int) taintKind { return args[i].kind }
	str := func(i int) string {
		s, _ := ops[i].Value.(ast.String)
		return string(s)
	}
	num := func(i int) string {
		n, _ := ops[i].Value.(ast.Number)
		return string(n)
	}
	switch {
	case comparisons[name] && len(args) == 2:
		if a.compare(name, args[0], args[1], ops[0], ops[1]) {
			return taint{}
		}
	case name == "is_string" && k(0) == rawList:
		return taint{}
	case name == "trim_space" && k(0) == rawList:
		return taint{kind: trimmed}
	case name == "trim_space" && (k(0) == part || k(0) == listItem):
		return taint{kind: listItem}
	case name == "split" && k(0) == rawList && k(1) == clean && str(1) == ",":
		return taint{kind: parts}
	case name == "contains" && k(0) == listItem && k(1) == clean && str(1) == "@":
		return taint{}
	case name == "indexof" && k(0) == listItem && k(1) == clean && str(1) == "@":
		if v, ok := ops[0].Value.(ast.Var); ok {
			return taint{kind: index, src: v}
		}
	case name == "plus" && k(0) == index && k(1) == clean && num(1) == "1":
		return taint{kind: after, src: args[0].src}
	case name == "substring" && k(0) == listItem && k(1) == after && k(2) == clean && num(2) == "-1":
		if v, ok := ops[0].Value.(ast.Var); ok && v.Equal(args[1].src) {
			if a.member {
				return taint{kind: suffix} // the name: only its membership is kept
			}
			return taint{} // appendListShape keeps the namespace
		}
	case name == ast.Member.Name && (k(1) == itemSet || k(1) == itemArray) && k(0) == clean:
		if s, ok := ops[0].Value.(ast.String); ok && (s == "" || s == "all") {
			return taint{}
		}
	case name == ast.Member.Name && a.member && (k(0) == trimmed || k(0) == listItem || k(0) == suffix) &&
		k(1) == clean && args[1].path == keyNamespaces:
		return taint{} // appendListShape keeps the membership
	}
	a.fail()
	return taint{}
}

// function is the taint of a function's value called with tainted args.
func (a *analysis) function(node *ast.TreeNode, args []taint) taint {
	key := callKey{node: node}
	for _, t := range args {
		key.args += fmt.Sprintf("%d%q%q%v/", t.kind, t.choices, t.path, t.src)
	}
	if t, ok := a.summary[key]; ok {
		return t
	}
	if a.active[key] { // recursion: not followed
		a.fail()
		return taint{}
	}
	a.active[key] = true
	var val taint
	for _, v := range node.Values {
		fn := v
		env := map[ast.Var]taint{}
		for i, p := range fn.Head.Args {
			if v, ok := p.Value.(ast.Var); ok && i < len(args) {
				env[v] = args[i]
			} else if i >= len(args) || args[i].kind != clean {
				a.fail()
			}
		}
		val = merge(a, val, a.rule(fn, env))
	}
	delete(a.active, key)
	a.summary[key] = val
	return val
}

// term is the taint of a term's value; it records the input paths read.
func (a *analysis) term(t *ast.Term, env map[ast.Var]taint) taint {
	switch v := t.Value.(type) {
	case ast.Var:
		if v.Equal(ast.InputRootDocument.Value) {
			a.rs.memo = false // the whole input, now_ns included
		}
		if env[v].kind == wholeInput {
			return a.inputRef(ast.InputRootRef, env)
		}
		return env[v]
	case ast.Ref:
		return a.ref(v, env)
	case *ast.ArrayComprehension:
		inner, iters := copyEnv(env), a.setIters
		a.body(v.Body, inner)
		if a.setIters > iters {
			break // its order and length follow the items' names
		}
		switch a.term(v.Term, inner).kind {
		case clean:
			return taint{}
		case listItem:
			return taint{kind: itemArray}
		}
	case *ast.SetComprehension:
		inner := copyEnv(env)
		a.body(v.Body, inner)
		switch a.term(v.Term, inner).kind {
		case clean:
			return taint{}
		case listItem:
			return taint{kind: itemSet}
		}
	case *ast.ObjectComprehension:
		inner := copyEnv(env)
		a.body(v.Body, inner)
		if a.term(v.Key, inner).kind == clean && a.term(v.Value, inner).kind == clean {
			return taint{} // keys and values the key determines
		}
	case *ast.Array:
		var strs []string
		tainted := false
		for i := range v.Len() {
			if s, ok := v.Elem(i).Value.(ast.String); ok {
				strs = append(strs, string(s))
			}
			tainted = tainted || a.term(v.Elem(i), env).kind != clean
		}
		if !tainted {
			if len(strs) == v.Len() {
				return taint{strs: strs}
			}
			return taint{}
		}
	case ast.Object, ast.Set, ast.Call:
		tainted := false
		ast.WalkTerms(v, func(x *ast.Term) bool {
			switch x.Value.(type) {
			case ast.Var, ast.Ref:
				tainted = tainted || a.term(x, env).kind != clean
				return true
			}
			return false
		})
		if !tainted {
			return taint{}
		}
	case ast.String:
		return taint{choices: []string{string(v)}}
	default:
		return taint{}
	}
	a.fail()
	return taint{}
}

// ref is the taint of a reference's value.
func (a *analysis) ref(r ast.Ref, env map[ast.Var]taint) taint {
	for j, k := range r[1:] {
		t := a.term(k, env)
		if t.kind == routeVal && j == len(r)-2 && a.constantKeys(r[:len(r)-1]) {
			continue // the route's entry in a constant object: which key it is
		}
		if t.kind != clean {
			a.fail() // a lookup by a tainted key
		}
	}
	switch head := r[0].Value.(type) {
	case ast.Var:
		switch {
		case head.Equal(ast.InputRootDocument.Value):
			return a.inputRef(r, env)
		case head.Equal(ast.DefaultRootDocument.Value):
			node, n := walkTree(a.c.RuleTree, r)
			if node == nil || n < len(r) && len(node.Values) == 0 && r[n].IsGround() {
				return taint{} // no such rule: undefined
			}
			if n == len(r) && isKeyNamespaces(node) {
				return taint{path: keyNamespaces}
			}
			t := a.nodeTaint(node)
			return a.element(t, r[n:], env)
		default:
			return a.element(env[head], r[1:], env)
		}
	}
	return a.element(a.term(r[0], env), r[1:], env) // a literal indexed
}

// nodeTaint is the merged taint of the rules under node.
func (a *analysis) nodeTaint(node *ast.TreeNode) taint {
	t := a.nodes[node]
	for _, k := range node.Sorted {
		t = merge(a, t, a.nodeTaint(node.Children[k]))
	}
	return t
}

// element is the taint of x[key...] given the taint of x; it binds an
// unbound key var to what iterating x gives.
func (a *analysis) element(t taint, keys []*ast.Term, env map[ast.Var]taint) taint {
	if len(keys) == 0 {
		return t
	}
	if t.kind == clean {
		if len(keys) == 1 && t.strs != nil {
			return taint{choices: t.strs}
		}
		return taint{}
	}
	var elem, key taint
	switch t.kind {
	case parts:
		elem = taint{kind: part}
	case itemArray:
		elem = taint{kind: listItem}
	case itemSet:
		elem, key = taint{kind: listItem}, taint{kind: listItem}
		a.setIters++
	default:
		a.fail()
		return taint{}
	}
	if v, ok := keys[0].Value.(ast.Var); ok {
		if _, bound := env[v]; !bound {
			env[v] = key
		} else if key.kind != clean {
			a.fail()
		}
	} else if key.kind != clean {
		a.fail()
	}
	if len(keys) > 1 {
		a.fail()
	}
	return elem
}

// inputRef records a read of the input and returns its taint.
func (a *analysis) inputRef(r ast.Ref, env map[ast.Var]taint) taint {
	var path []string
	i := 1
	for ; i < len(r); i++ {
		s, ok := r[i].Value.(ast.String)
		if !ok {
			break
		}
		path = append(path, string(s))
	}
	p := strings.Join(path, ".")
	// a param read by name, or through a var that takes known names
	var names []string
	switch {
	case len(path) >= 3 && path[0] == "request" && path[1] == "params":
		names = []string{path[2]}
	case len(path) == 2 && p == "request.params" && i < len(r):
		if v, ok := r[i].Value.(ast.Var); ok {
			names = a.varChoices(v, env)
		}
		if names != nil {
			i++
		}
	}
	if a.param == "" && !a.route { // the first pass records the reads
		switch {
		case names != nil:
			for _, n := range names {
				if !sensitiveParams[n] {
					a.rs.params[n] = true
				}
			}
		case p == "now_ns" && i == len(r):
		default:
			a.rs.paths[p] = true
			if p == "" || p == "now_ns" {
				a.rs.memo = false
			}
		}
	}
	switch {
	case a.route && p == routeLeaf && i == len(r):
		return taint{kind: routeVal}
	case a.route && (p == routeLeaf || strings.HasPrefix(routeLeaf, p+".") || p == ""):
		a.fail() // the route indexed, or read with the object holding it
		return taint{}
	case p == "now_ns" && i == len(r) && a.param == "":
		return taint{kind: isNow}
	case a.param == "":
		if i == len(r) {
			return taint{path: p}
		}
		return taint{}
	case slices.Contains(names, a.param):
		if i < len(r) || len(path) > 3 {
			a.fail() // a lookup into the string
		}
		return taint{kind: rawList}
	case names == nil && (p == "" || strings.HasPrefix("request.params.", p+".")):
		a.fail() // the whole params object (or more)
	}
	return taint{}
}

// varChoices are the strings v can hold: a string argument of the call
// being analysed (has_param("pids")), or `some name in ["uids", "uid"]`
// (compiled to a local bound to an element of a local bound to that array).
func (a *analysis) varChoices(v ast.Var, env map[ast.Var]taint) []string {
	return env[v].choices
}

// keyNamespaces is the input path whose membership appendListShape keeps.
const keyNamespaces = "key.namespaces"

var keyNamespacesRef = ast.NewTerm(ast.MustParseRef("input." + keyNamespaces))

// isKeyNamespaces reports whether every value of the rules at node is
// input.key.namespaces or an empty array (as the shipped key_namespaces:
// `n := input.key.namespaces; is_array(n)`, else []). Which of the two a
// rule takes depends on what its body reads, which the key holds; a name's
// membership in either is then decided by its membership in the first.
func isKeyNamespaces(node *ast.TreeNode) bool {
	if len(node.Values) == 0 || len(node.Children) != 0 {
		return false
	}
	isPath := func(t *ast.Term) bool { return t.Equal(keyNamespacesRef) }
	for _, r := range node.Values {
		if len(r.Head.Args) != 0 || r.Head.Key != nil {
			return false
		}
		for b := r; b != nil; b = b.Else {
			v := b.Head.Value
			if arr, ok := v.Value.(*ast.Array); ok && arr.Len() == 0 || isPath(v) {
				continue
			}
			bound := false
			for _, e := range b.Body {
				if terms, ok := e.Terms.([]*ast.Term); ok && e.IsEquality() && !e.Negated && len(e.With) == 0 {
					bound = bound || terms[1].Equal(v) && isPath(terms[2]) || terms[2].Equal(v) && isPath(terms[1])
				}
			}
			if _, isVar := v.Value.(ast.Var); !isVar || !bound {
				return false
			}
		}
	}
	return true
}

// routeLeaf is the input path the route pass follows.
const routeLeaf = "request.route"

// reads reports whether the rules read the input field leaf (a path of
// inputLeaves), directly or with an object holding it.
func (rs *readSet) reads(leaf string) bool {
	for p := range rs.paths {
		if p == leaf || strings.HasPrefix(leaf, p+".") || strings.HasPrefix(p, leaf+".") {
			return true
		}
	}
	return false
}

// constantKeys records the keys of the constant object at ref (a rule
// `name := {...}`) as constants of the route, and reports whether there is
// one.
func (a *analysis) constantKeys(ref ast.Ref) bool {
	if !a.route || !ref[0].Equal(ast.DefaultRootDocument) {
		return false
	}
	node, n := walkTree(a.c.RuleTree, ref)
	if node == nil || n != len(ref) || len(node.Values) != 1 || len(node.Children) != 0 || !isConstantRule(node.Values[0]) {
		return false
	}
	obj, ok := node.Values[0].Head.Value.Value.(ast.Object)
	if !ok {
		return false
	}
	for _, k := range obj.Keys() {
		if s, ok := k.Value.(ast.String); ok {
			a.rs.routes[string(s)] = true
		}
	}
	return true
}
