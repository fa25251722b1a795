package policies

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
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
// credential, scope or namespace rules. limits.list is evaluated with the
// last stage. The stages share one converted input and one evaluation cache
// (a rule two stages use is evaluated once).
type rankedEval struct {
	stages []rankedStage
	// lastDeny is the last stage without limits.list, for when the list is
	// undefined (the decision is then the stage's denial, or undefined).
	lastDeny rego.PreparedEvalQuery
}

// rankedStage is one evaluation: some deny sets, and limits.list in the last.
type rankedStage struct {
	query rego.PreparedEvalQuery
	sets  int // the deny sets it evaluates (the last also evaluates limits.list)
	// next is the lowest [order, reason] the later stages can produce
	// (nil for the last stage).
	next *ast.Term
}

// stageSets groups the deny sets into stages, in the order of the lowest
// rank each produces (findRanked checks it): routes (10-11), schema (12,
// 70-73) and keys (20, 40-41), auth (30-50), scopes (60-61) and namespaces
// (80-81), limits (90). An evaluation costs about 20 allocations of its
// own: the grouping is what measured cheapest for the denials an
// unauthenticated caller reaches and for allowed decisions (BENCHMARKS.md).
var stageSets = [][]string{{"routes"}, {"schema", "keys"}, {"auth"}, {"scopes", "namespaces"}, {"limits"}}

// listQuery is the allowed decision's limits.
const listQuery = "data.facegate.limits.list"

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
	prep := func(q string) (rego.PreparedEvalQuery, error) {
		pq, err := rego.New(rego.Query(q), rego.Compiler(c),
			rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
		).PrepareForEval(ctx)
		if err != nil {
			return pq, fmt.Errorf("preparing %s: %w", q, err)
		}
		return pq, nil
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
	for i, sets := range stages {
		var refs []string
		for _, pkg := range sets {
			refs = append(refs, "data.facegate."+pkg+".deny")
		}
		st := rankedStage{sets: len(sets), next: lowestOf(stages[i+1:], lowest)}
		var err error
		if i == len(stages)-1 {
			if re.lastDeny, err = prep(strings.Join(refs, "; ")); err != nil {
				return nil, err
			}
			refs = append(refs, listQuery)
		}
		if st.query, err = prep(strings.Join(refs, "; ")); err != nil {
			return nil, err
		}
		re.stages = append(re.stages, st)
	}
	return re, nil
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
	var best denial
	for i, st := range re.stages {
		last := i == len(re.stages)-1
		terms, err := evalTerms(ctx, st.query, input, vc)
		if last && (err != nil || terms == nil) {
			// limits.list may be what failed; decision.rego evaluates
			// it only when nothing denies. Evaluate the deny sets alone,
			// afresh, sharing nothing with the failed evaluation.
			vc.discard()
			var denyErr error
			if terms, denyErr = evalTerms(ctx, re.lastDeny, input, newEvalCache(vc.consts)); denyErr != nil {
				return nil, denyErr
			}
			for _, set := range terms {
				s, ok := set.Value.(ast.Set)
				if !ok {
					return nil, nil
				}
				s.Foreach(best.consider)
			}
			if best.d != nil {
				return best.decision(), nil
			}
			return nil, err // allowed but limits.list failed: fail, or undefined
		}
		if err != nil || terms == nil {
			return nil, err
		}
		sets := terms[:st.sets]
		for _, set := range sets {
			s, ok := set.Value.(ast.Set)
			if !ok {
				return nil, nil // the union of the deny sets is undefined
			}
			s.Foreach(best.consider)
		}
		if best.d != nil && (last || best.before(st.next)) {
			return best.decision(), nil
		}
		if last {
			return allowTerm(terms[len(sets)]), nil
		}
	}
	return nil, nil // no stage: cannot happen
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
