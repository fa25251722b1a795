package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// TestDenialTiersFollowTheContract: the shipped set has a tier per rank,
// in the order decision.rego ranks denials; an edit of decision.rego or of
// the denial constructor, or a deny rule with a computed order, has none;
// a deny rule added with a literal rank gets its tier.
func TestDenialTiersFollowTheContract(t *testing.T) {
	shipped := newTestDecider(t, "").active.Load().tiers
	if shipped == nil || len(shipped.ranks) < 25 {
		t.Fatalf("shipped tiers: %v", shipped)
	}
	for i := 1; i < len(shipped.ranks); i++ {
		if shipped.ranks[i-1].Value.Compare(shipped.ranks[i].Value) >= 0 {
			t.Errorf("ranks out of order: %v then %v", shipped.ranks[i-1], shipped.ranks[i])
		}
	}
	if first := shipped.ranks[0].String(); first != `[10, "route_unknown"]` {
		t.Errorf("first rank %s", first)
	}
	for _, tc := range []struct {
		name, file, text string
		tiers            bool
	}{
		{"decision.rego edited", "decision.rego", "\n# edited\n", false},
		{"errors.rego edited", "errors/errors.rego", "\n# edited\n", false},
		{"computed order", "routes/routes.rego", "\ndeny contains errors.deny(count(input.key.scopes), 403, 307, \"x\", \"x\") if input.key.found\n", false},
		{"literal rank added", "routes/routes.rego", "\ndeny contains errors.deny(15, 403, 307, \"x\", \"x_denied\") if input.key.tier == \"x\"\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyEmbedded(t)
			appendFile(t, filepath.Join(dir, "facegate", tc.file), tc.text)
			tiers := newTestDecider(t, dir).active.Load().tiers
			if (tiers != nil) != tc.tiers {
				t.Fatalf("tiers %v, want some: %t", tiers, tc.tiers)
			}
		})
	}
}

// TestDenialTiersMatchPlainEvaluation decides a stream of mostly denied
// inputs that differ in what the decision reads (origins, namespaces, uids,
// routes, signature ages) through Decide and compares every decision with
// OPA's plain evaluation: denials answered from a rank's key must be the
// ones OPA gives.
func TestDenialTiersMatchPlainEvaluation(t *testing.T) {
	d := newTestDecider(t, "")
	p := d.active.Load()
	plain := plainQuery(t, "")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	vs := variations()
	reasons := map[string]int{}
	const n = 2000
	for i := range n {
		in, ok := combine(vs[rng.IntN(len(vs))], vs[rng.IntN(len(vs))])
		if !ok {
			continue
		}
		if in.Request.Params == nil {
			in.Request.Params = map[string]string{}
		}
		switch rng.IntN(4) {
		case 0:
			in.Key = KeyInput{ID: fmt.Sprintf("guess%d", i)}
		case 1:
			in.Auth.Signature.Valid = rng.IntN(2) == 0
		case 2:
			in.Request.Params["uids"] = fmt.Sprintf("u%d@%s", i, []string{"docs", "other", "team"}[rng.IntN(3)])
		}
		in.Request.Origin = fmt.Sprintf("https://%d.example", rng.IntN(50))
		if rng.IntN(2) == 0 {
			in.Request.Params["namespace"] = []string{"docs", "other", fmt.Sprint("n", rng.IntN(40))}[rng.IntN(3)]
		}
		in.Auth.Signature.AgeS = int64(rng.IntN(400))
		rs, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value()))
		if err != nil || len(rs) != 1 {
			t.Fatalf("plain evaluation: %v %v", rs, err)
		}
		want := rs[0].Expressions[0].Value.(Decision)
		if got := d.Decide(ctx, in); !reflect.DeepEqual(got, want) {
			t.Fatalf("input %d: Decide = %s, plain evaluation = %s (input %s)", i, got, want, in.Value())
		}
		reasons[want.Reason]++
	}
	t.Logf("%d tier hits, reasons %v", p.tiers.hits.Load(), reasons)
	if p.tiers.hits.Load() < n/4 || len(reasons) < 10 {
		t.Errorf("%d tier hits, %d reasons: the tiers were hardly exercised", p.tiers.hits.Load(), len(reasons))
	}
}
