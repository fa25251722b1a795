package policies

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/types"
)

// rankedEval evaluates a decision of the shipped decision contract in rank
// order instead of evaluating data.facegate.decision whole.
//
// decision.rego answers the denial that sorts first by [order, reason,
// denial] among the seven deny sets or, when none denies, allows with
// limits.list. The ranks each deny set can produce are known when the set
// is compiled (contractRules), so the deny sets are evaluated one after
// the other, in the order of the lowest rank each can produce, and the
// evaluation stops as soon as the lowest denial found sorts before
// anything the sets not yet evaluated can produce: an unknown route is
// answered after the routes set, a guessed key id after the keys set,
// never reaching the credential, scope or namespace rules.
//
// The stages (one per deny set) are one prepared query, one OPA evaluation:
//
//	facegate_ranked_stage(0, data.facegate.routes.deny); ...; data.facegate.limits.list
//
// where facegate_ranked_stage is a builtin of this package that takes each
// deny set as OPA evaluates it and fails, ending the evaluation, once the
// lowest denial found outranks every later set. An OPA evaluation has a
// fixed cost of about 25 allocations: one evaluation costs less than one
// per stage, and the rules several sets use are evaluated once.
type rankedEval struct {
	query rego.PreparedEvalQuery
	// next[i] is the lowest [order, reason] the sets after stage i can
	// produce (nil for the last).
	next []*ast.Term
}

// listQuery is the allowed decision's limits.
const listQuery = "data.facegate.limits.list"

// stageBuiltin is the name of the builtin that ends a stage. It is declared
// to the compiler of every policy set, for the ranked query; a policy that
// calls it does not compile (compileStrict).
const stageBuiltin = "facegate_ranked_stage"

// stageDecl declares stageBuiltin: stage number, deny set → true.
var stageDecl = &ast.Builtin{Name: stageBuiltin, Decl: types.NewFunction(types.Args(types.N, types.A), types.B)}

// rankedCtxKey carries a decision's rankedRun to stageBuiltin.
type rankedCtxKey struct{}

// rankedRun is the state of one ranked evaluation.
type rankedRun struct {
	re   *rankedEval
	done int  // stages whose deny set was a set
	bad  bool // a deny set was not a set: the decision is undefined
	stop bool // the lowest denial outranks every later set
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
	sets := slices.Clone(denySets)
	slices.SortStableFunc(sets, func(a, b string) int { return lowest[a].Value.Compare(lowest[b].Value) })
	re := &rankedEval{next: make([]*ast.Term, len(sets))}
	exprs := make([]string, 0, len(sets)+1)
	for i, pkg := range sets {
		exprs = append(exprs, fmt.Sprintf("%s(%d, data.facegate.%s.deny)", stageBuiltin, i, pkg))
		if i+1 < len(sets) {
			re.next[i] = lowest[sets[i+1]]
		}
	}
	var err error
	re.query, err = rego.New(rego.Query(strings.Join(append(exprs, listQuery), "; ")), rego.Compiler(c),
		rego.Function2(&rego.Function{Name: stageBuiltin, Decl: stageDecl.Decl}, stageDone),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing the ranked decision: %w", err)
	}
	return re, nil
}

// stageDone is stageBuiltin: it takes the deny set of stage i, and fails
// when the evaluation should stop. (An undefined deny set fails the query
// before, as it makes OPA's plain decision undefined.)
func stageDone(bctx rego.BuiltinContext, i, set *ast.Term) (*ast.Term, error) {
	run, _ := bctx.Context.Value(rankedCtxKey{}).(*rankedRun)
	if n, ok := i.Value.(ast.Number); run == nil || !ok || n.String() != strconv.Itoa(run.done) {
		return nil, fmt.Errorf("%s called out of order", stageBuiltin)
	}
	s, ok := set.Value.(ast.Set)
	if !ok {
		run.bad = true
		return nil, nil
	}
	s.Foreach(run.best.consider)
	next := run.re.next[run.done]
	run.done++
	if run.best.d != nil && (next == nil || run.best.before(next)) {
		run.stop = true
		return nil, nil
	}
	return ast.InternedTerm(true), nil
}

// decide evaluates the stages for input with the evaluation cache vc and
// returns the term data.facegate.decision would be, or nil when it would
// be undefined.
func (re *rankedEval) decide(ctx context.Context, input ast.Value, vc *evalCache) (*ast.Term, error) {
	run := &rankedRun{re: re}
	terms, err := evalTerms(context.WithValue(ctx, rankedCtxKey{}, run), re.query, input, vc)
	switch {
	case run.stop: // at a denial (the last set's too: decision.rego reads limits.list only when nothing denies)
		return run.best.decision(), nil
	case err != nil || run.bad || terms == nil:
		return nil, err // failed, or undefined
	}
	return allowTerm(terms[len(terms)-1]), nil
}

// evalTerms evaluates q, answering the values of its expressions or nil
// when it is undefined. The evaluation is cancelled when ctx is done,
// through context.AfterFunc: without a cancel of its own, OPA starts a
// goroutine per evaluation to watch ctx.
func evalTerms(ctx context.Context, q rego.PreparedEvalQuery, input ast.Value, vc *evalCache) ([]*ast.Term, error) {
	cancel := topdown.NewCancel()
	defer context.AfterFunc(ctx, cancel.Cancel)()
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input), rego.EvalVirtualCache(vc), rego.EvalMetrics(noMetrics),
		rego.EvalExternalCancel(cancel))
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
