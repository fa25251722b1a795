package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// rankedEdits are edited policy sets that keep the decision contract, so
// that they are evaluated in rank order too: a rank added before every
// other, one added after every other in the first stage, a lower rank in
// the last set (the stages then follow that set's new rank), and a rule
// that reads a uid's name and ties with a shipped rank in another set (the
// denial that sorts first of the two must answer).
var rankedEdits = []struct{ name, file, rego string }{
	{"shipped", "", ""},
	{"rank 5 on the address", "routes/routes.rego", `deny contains errors.deny(5, 403, 307, "blocked address", "address_blocked") if {
	input.request.remote_ip == "203.0.113.7"
}`},
	{"rank 95 in routes", "routes/routes.rego", `deny contains errors.deny(95, 403, 307, "late", "late_denial") if {
	input.request.images > 1
}`},
	{"rank 15 in limits", "limits/limits.rego", `deny contains errors.deny(15, 403, 307, "gold", "gold_tier") if {
	input.key.tier == "gold"
}`},
	{"a uid by name, tied with a shipped rank", "namespaces/namespaces.rego", `deny contains errors.deny(34, 401, 204, "a blocked uid", "signature_invalid") if {
	some u in split(input.request.params.uids, ",")
	trim_space(u) == "eve@other"
}`},
}

// rankedInputs are the inputs the comparison decides: every pair of
// variations (every deny reason, alone and with another), the streams of
// uncachedDenials and random inputs of randomInput.
func rankedInputs() []*Input {
	var ins []*Input
	vs := variations()
	for i := range vs {
		for j := i; j < len(vs); j++ {
			if in, ok := combine(vs[i], vs[j]); ok {
				ins = append(ins, in)
			}
		}
	}
	for _, tc := range uncachedDenials {
		for i := range 20 {
			ins = append(ins, tc.input(i))
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	pairs := make([][2]func(*Input), 60)
	for i := range pairs {
		pairs[i] = [2]func(*Input){vs[rng.IntN(len(vs))], vs[rng.IntN(len(vs))]}
	}
	for range 500 {
		in := randomInput(rng, pairs)
		in.Key.Tier = []string{in.Key.Tier, "gold"}[rng.IntN(2)]
		ins = append(ins, in)
	}
	return ins
}

// TestRankedMatchesPlainEvaluation decides every input of rankedInputs
// through the rank-ordered evaluation (memo off) and
// compares each decision with OPA's plain evaluation of
// data.facegate.decision, for the shipped set and edited ones.
func TestRankedMatchesPlainEvaluation(t *testing.T) {
	ins := rankedInputs()
	for _, tc := range rankedEdits {
		t.Run(tc.name, func(t *testing.T) {
			dir := ""
			if tc.file != "" {
				dir = copyEmbedded(t)
				appendFile(t, filepath.Join(dir, "facegate", tc.file), "\n"+tc.rego+"\n")
			}
			d, err := NewDecider(Options{Dir: dir, NoMemo: true})
			if err != nil {
				t.Fatal(err)
			}
			p := d.active.Load()
			if p.ranked == nil {
				t.Fatal("no rank-ordered evaluation")
			}
			plain := plainQuery(t, dir)
			ctx := context.Background()
			reasons, details := map[string]int{}, map[string]int{}
			for i, in := range ins {
				rs, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value()))
				if err != nil || len(rs) != 1 {
					t.Fatalf("plain evaluation: %v %v", rs, err)
				}
				want := rs[0].Expressions[0].Value.(Decision)
				if got := d.Decide(ctx, in); !reflect.DeepEqual(got, want) {
					t.Fatalf("input %d: ranked = %s, plain evaluation = %s (input %s)", i, got, want, in.Value())
				}
				reasons[want.Reason]++
				details[want.Reason]++
				details[want.Detail]++
			}
			t.Logf("%d inputs, reasons %v", len(ins), reasons)
			if len(reasons) < 29 || reasons["ok"] < 100 {
				t.Errorf("decisions %v: not every rank exercised", reasons)
			}
			for _, r := range []string{"address_blocked", "late_denial", "gold_tier", "a blocked uid"} {
				if strings.Contains(tc.rego, r) && details[r] == 0 {
					t.Errorf("the edit's denial %q never answered", r)
				}
			}
		})
	}
}

// TestRankedStages: the deny sets are evaluated one per stage in the order
// of their lowest rank, each stage knowing the lowest rank of the sets
// after it; an edit that gives the limits set a lower rank moves it; a set
// without the contract keeps the single evaluation of
// data.facegate.decision.
func TestRankedStages(t *testing.T) {
	nexts := func(re *rankedEval) string {
		var s []string
		for _, n := range re.next {
			s = append(s, fmt.Sprint(n))
		}
		return strings.Join(s, " ")
	}
	shipped := `[12, "route_unknown"] [20, "key_not_found"] [30, "no_credentials"] [60, "scope_missing"] [80, "namespace_missing"] [90, "limit_config_invalid"] <nil>`
	if got := nexts(newTestDecider(t, "").active.Load().ranked); got != shipped {
		t.Errorf("shipped set: next ranks %s, want %s", got, shipped)
	}
	dir := copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "limits/limits.rego"), "\n"+rankedEdits[3].rego+"\n")
	edited := `[12, "route_unknown"] [15, "gold_tier"] [20, "key_not_found"] [30, "no_credentials"] [60, "scope_missing"] [80, "namespace_missing"] <nil>`
	if got := nexts(newTestDecider(t, dir).active.Load().ranked); got != edited {
		t.Errorf("limits with rank 15: next ranks %s, want %s", got, edited)
	}
	dir = copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "decision.rego"), "\n# edited\n")
	if newTestDecider(t, dir).active.Load().ranked != nil {
		t.Error("an edited decision.rego is evaluated in rank order")
	}
}

// TestRankedFailsClosed: an evaluation error in a stage fails the decision
// closed (error 104, logged, not memoized), as OPA's plain evaluation
// does; a stage that is never reached because an earlier rank denies does
// not fail it (OPA's plain evaluation evaluates every deny set and fails:
// both refuse).
func TestRankedFailsClosed(t *testing.T) {
	dir := copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "namespaces/namespaces.rego"), `
conflict := 1 if input.request.method == "POST"

conflict := 2 if input.request.route == "faces/recognize"

deny contains errors.deny(82, 403, 404, "conflict", "conflict") if conflict == 3
`)
	core, logs := observer.New(zap.ErrorLevel)
	d, err := NewDecider(Options{Dir: dir, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	p := d.active.Load()
	if p.ranked == nil || p.memo == nil {
		t.Fatal("the edited set lost the rank-ordered evaluation or the memo")
	}
	plain := plainQuery(t, dir)
	ctx := context.Background()
	in := realisticInput()
	if _, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value())); err == nil {
		t.Fatal("the plain evaluation did not fail")
	}
	for i := range 2 {
		if got := d.Decide(ctx, in); got.Reason != ReasonPolicyError || got.ErrorCode != 104 {
			t.Fatalf("decision %d = %s, want the fail-closed policy error", i, got)
		}
	}
	if n := len(p.memo.entries) + len(p.memo.older); n != 0 || logs.Len() != 2 {
		t.Errorf("%d memo entries, %d log lines after two failed evaluations", n, logs.Len())
	}
	in.Key = KeyInput{ID: fmt.Sprint("guess")}
	if got := d.Decide(ctx, in); got.Reason != "key_not_found" {
		t.Errorf("a guessed key id = %s, want key_not_found", got)
	}
}

// TestRankedStageBuiltinReserved: a policy may not call the builtin that
// ends the ranked evaluation's stages; such a set does not compile (and a
// reload to it keeps the last good version).
func TestRankedStageBuiltinReserved(t *testing.T) {
	dir := copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "routes", "routes.rego"), "\nstopped if facegate_ranked_stage(0, [])\n")
	if _, err := NewDecider(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("a policy calling %s: err = %v, want it reserved", stageBuiltin, err)
	}
}
