package policies

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
)

// rankedEval evaluates a decision of the shipped decision contract in rank
// order instead of evaluating data.facegate.decision whole.
//
// decision.rego answers the denial that sorts first by [order, reason,
// denial] among the seven deny sets or, when none denies, allows with
// limits.list. The ranks each deny set can produce are known when the set
// is compiled (contractRules), so the deny sets are evaluated in stages, in
// the order of the lowest rank each can produce, and the evaluation stops
// as soon as the lowest denial found sorts before anything the stages not
// yet evaluated can produce: an unknown route is answered after the routes
// set, a guessed key id after schema and keys, never reaching the
// credential, scope or namespace rules.
//
// The stages are one prepared query, one OPA evaluation:
//
//	stage(0, [routes.deny]); stage(1, [schema.deny, keys.deny]); ...; limits.list
//
// where stage is a builtin of this package that takes each stage's deny
// sets as OPA evaluates them and fails (ending the evaluation) once the
// lowest denial found outranks every later stage. One evaluation costs
// less than one per stage (each OPA evaluation has a fixed cost of about
// 25 allocations), and the rules the stages share are evaluated once.
type rankedEval struct {
	query  rego.PreparedEvalQuery
	stages []rankedStage
}

// rankedStage is the deny sets of one stage.
type rankedStage struct {
	sets int // how many
	// next is the lowest [order, reason] the later stages can produce
	// (nil for the last stage).
	next *ast.Term
}

// stageSets groups the deny sets into stages, in the order of the lowest
// rank each produces (findRanked checks it): routes (10-11), schema (12,
// 70-73) and keys (20, 40-41), auth (30-50), scopes (60-61) and namespaces
// (80-81), limits (90). The grouping decides how much a denial evaluates
// before the stop: what measured cheapest for the denials an
// unauthenticated caller reaches and for allowed decisions (BENCHMARKS.md).
var stageSets = [][]string{{"routes"}, {"schema", "keys"}, {"auth"}, {"scopes", "namespaces"}, {"limits"}}

// listQuery is the allowed decision's limits.
const listQuery = "data.facegate.limits.list"

// stageBuiltin is the name of the builtin that ends a stage (the query
// only: policies cannot call it).
const stageBuiltin = "facegate_ranked_stage"

// stageDecl declares stageBuiltin: stage number, deny sets → true.
var stageDecl = &ast.Builtin{Name: stageBuiltin, Decl: types.NewFunction(types.Args(types.N, types.A), types.B)}

// rankedCtxKey carries a decision's rankedRun to stageBuiltin.
type rankedCtxKey struct{}

// rankedRun is the state of one ranked evaluation.
type rankedRun struct {
	re   *rankedEval
	done int  // stages whose deny sets were all defined sets
	bad  bool // a deny set was not a set: the decision is undefined
	stop bool // the lowest denial outranks every later stage
	best denial
}

// findRanked prepares the stages of a policy set whose deny rules are rules
// (contractRules), or returns nil.
func findRanked(ctx context.Context, c *ast.Compiler, rules []rankedRule) (*rankedEval, error) {
	if rules == nil {
		return nil, nil
	}
	lowest := map[string]*ast.Term{} // per deny set
	for _, r := range rules {
		pkg := denySets[r.set]
		if lowest[pkg] == nil || r.rank.Value.Compare(lowest[pkg].Value) < 0 {
			lowest[pkg] = r.rank
		}
	}
	stages := stageSets
	if !follows(stages, lowest) { // an edit lowered a set's rank: one set per stage, by rank
		stages = nil
		for _, pkg := range denySets {
			stages = append(stages, []string{pkg})
		}
		slices.SortStableFunc(stages, func(a, b []string) int { return lowest[a[0]].Value.Compare(lowest[b[0]].Value) })
	}
	re := &rankedEval{}
	var exprs []string
	for i, sets := range stages {
		var refs []string
		for _, pkg := range sets {
			refs = append(refs, "data.facegate."+pkg+".deny")
		}
		exprs = append(exprs, fmt.Sprintf("%s(%d, [%s])", stageBuiltin, i, strings.Join(refs, ", ")))
		re.stages = append(re.stages, rankedStage{sets: len(sets), next: lowestOf(stages[i+1:], lowest)})
	}
	q := strings.Join(append(exprs, listQuery), "; ")
	var err error
	re.query, err = rego.New(rego.Query(q), rego.Compiler(c),
		rego.Function2(&rego.Function{Name: stageBuiltin, Decl: stageDecl.Decl}, stageDone),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing the ranked decision: %w", err)
	}
	return re, nil
}

// stageDone is stageBuiltin: it takes the deny sets of stage i, and fails
// when the evaluation should stop (an undefined deny set fails it earlier,
// as it makes OPA's plain decision undefined).
func stageDone(bctx rego.BuiltinContext, i, sets *ast.Term) (*ast.Term, error) {
	run, _ := bctx.Context.Value(rankedCtxKey{}).(*rankedRun)
	if n, ok := i.Value.(ast.Number); run == nil || !ok || n.String() != strconv.Itoa(run.done) {
		return nil, fmt.Errorf("%s called out of order", stageBuiltin)
	}
	arr, _ := sets.Value.(*ast.Array)
	for j := 0; arr != nil && j < arr.Len(); j++ {
		s, ok := arr.Elem(j).Value.(ast.Set)
		if !ok {
			run.bad = true
			return nil, nil
		}
		s.Foreach(run.best.consider)
	}
	run.done++
	st := run.re.stages[run.done-1]
	if run.best.d != nil && (st.next == nil || run.best.before(st.next)) {
		run.stop = true
		return nil, nil
	}
	return ast.InternedTerm(true), nil
}

// lowestOf is the lowest rank the deny sets of stages produce, or nil.
func lowestOf(stages [][]string, lowest map[string]*ast.Term) *ast.Term {
	var low *ast.Term
	for _, sets := range stages {
		for _, pkg := range sets {
			if low == nil || lowest[pkg].Value.Compare(low.Value) < 0 {
				low = lowest[pkg]
			}
		}
	}
	return low
}

// follows reports whether every deny set's lowest rank is at most the
// lowest rank of the later stages (the stop is correct either way; a
// grouping that does not follow the ranks only stops later).
func follows(stages [][]string, lowest map[string]*ast.Term) bool {
	for i, sets := range stages {
		next := lowestOf(stages[i+1:], lowest)
		for _, pkg := range sets {
			if next != nil && next.Value.Compare(lowest[pkg].Value) < 0 {
				return false
			}
		}
	}
	return true
}

// decide evaluates the stages for input with the evaluation cache vc and
// returns the term data.facegate.decision would be, or nil when it would
// be undefined.
func (re *rankedEval) decide(ctx context.Context, input ast.Value, vc *evalCache) (*ast.Term, error) {
	run := &rankedRun{re: re}
	terms, err := evalTerms(context.WithValue(ctx, rankedCtxKey{}, run), re.query, input, vc)
	switch {
	case run.stop || (run.done == len(re.stages) && run.best.d != nil):
		// Stopped at a denial, or every deny set evaluated and
		// limits.list failed: decision.rego only evaluates the list
		// when nothing denies.
		return run.best.decision(), nil
	case err != nil || run.bad || terms == nil:
		return nil, err // failed, or undefined
	}
	return allowTerm(terms[len(terms)-1]), nil
}

// evalTerms evaluates q, answering the values of its expressions or nil
// when it is undefined.
func evalTerms(ctx context.Context, q rego.PreparedEvalQuery, input ast.Value, vc *evalCache) ([]*ast.Term, error) {
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input), rego.EvalVirtualCache(vc), rego.EvalMetrics(noMetrics))
	if err != nil || len(rs) != 1 {
		return nil, err
	}
	terms := make([]*ast.Term, len(rs[0].Expressions))
	for i, e := range rs[0].Expressions {
		if terms[i], _ = e.Value.(*ast.Term); terms[i] == nil {
			return nil, nil
		}
	}
	return terms, nil
}

// denial is the lowest denial seen: decision.rego sorts [d.order,
// d.reason, d] over the denials that have both fields.
type denial struct {
	d             ast.Object
	order, reason *ast.Term
}

func (b *denial) consider(t *ast.Term) {
	d, ok := t.Value.(ast.Object)
	if !ok {
		return
	}
	order, reason := d.Get(stringTerm("order")), d.Get(stringTerm("reason"))
	if order == nil || reason == nil {
		return
	}
	if b.d != nil {
		c := order.Value.Compare(b.order.Value)
		if c == 0 {
			c = reason.Value.Compare(b.reason.Value)
		}
		if c == 0 {
			c = d.Compare(b.d)
		}
		if c >= 0 {
			return
		}
	}
	b.d, b.order, b.reason = d, order, reason
}

// before reports whether the denial ranks before rank ([order, reason]).
func (b *denial) before(rank *ast.Term) bool {
	r := rank.Value.(*ast.Array)
	c := b.order.Value.Compare(r.Elem(0).Value)
	if c == 0 {
		c = b.reason.Value.Compare(r.Elem(1).Value)
	}
	return c < 0
}

// decision is decision.rego's answer for the denial, or nil when a field
// it copies is missing (the decision is then undefined).
func (b *denial) decision() *ast.Term {
	items := [][2]*ast.Term{item("allow", ast.InternedTerm(false))}
	for _, name := range []string{"status", "error_code", "detail", "reason"} {
		v := b.d.Get(stringTerm(name))
		if v == nil {
			return nil
		}
		items = append(items, item(name, v))
	}
	return ast.NewTerm(ast.NewObject(append(items, item("limits", ast.ArrayTerm()))...))
}

// allowTerm is decision.rego's answer when nothing denies.
func allowTerm(limits *ast.Term) *ast.Term {
	return ast.NewTerm(ast.NewObject(
		item("allow", ast.InternedTerm(true)),
		item("status", ast.InternedTerm(200)),
		item("error_code", ast.InternedTerm(0)),
		item("detail", stringTerm("")),
		item("reason", stringTerm("ok")),
		item("limits", limits),
	))
}
