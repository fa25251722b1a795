package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
	for _, set := range []struct{ name, rego string }{
		{"shipped", ""},
		// the route compared with a name: one more constant of the ranks' keys
		{"a blocked route", `deny contains errors.deny(10, 403, 307, "blocked", "route_blocked") if {
	input.request.route == "/blocked"
}`},
		// the route by prefix: the ranks' keys hold it as sent
		{"a route prefix", `deny contains errors.deny(10, 403, 307, "admin", "route_admin") if {
	startswith(input.request.route, "/admin")
}`},
	} {
		t.Run(set.name, func(t *testing.T) { denialTiersMatchPlainEvaluation(t, editedSet(t, set.rego)) })
	}
}

func denialTiersMatchPlainEvaluation(t *testing.T, dir string) {
	d := newTestDecider(t, dir)
	p := d.active.Load()
	plain := plainQuery(t, dir)
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
		if rng.IntN(3) == 0 { // routes known and unknown, proxied paths
			in.Request.Route = []string{"faces/detect", "account/limits", fmt.Sprint("faces/x", rng.IntN(40)),
				"/blocked", fmt.Sprint("/admin/", rng.IntN(40)), fmt.Sprint("/v1/items/", rng.IntN(40))}[rng.IntN(6)]
			in.Request.Proxied = strings.HasPrefix(in.Request.Route, "/") && rng.IntN(4) != 0
		}
		in.Auth.Signature.AgeS = int64(rng.IntN(400))
		want := plainDecision(t, plain, in)
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

// TestDeployedDenialStreamsShareAnEntry: as deployed, each stream of the
// denial benchmarks (new unknown routes, new proxied paths without a key,
// wrong secrets, foreign namespaces) is evaluated once: later calls are
// answered by the memo or their rank's key, with OPA's plain evaluation's
// decision.
func TestDeployedDenialStreamsShareAnEntry(t *testing.T) {
	plain := plainQuery(t, "")
	for _, tc := range uncachedDenials {
		t.Run(tc.reason, func(t *testing.T) {
			d := newTestDecider(t, "")
			p := d.active.Load()
			entries := func() int { return len(p.memo.entries) + len(p.memo.older) }
			const n = 40
			for i := range n {
				in := tc.input(i)
				got, want := d.Decide(context.Background(), in), plainDecision(t, plain, in)
				if !reflect.DeepEqual(got, want) || got.Reason != tc.reason {
					t.Fatalf("call %d: Decide = %s, plain evaluation = %s, want %s", i, got, want, tc.reason)
				}
			}
			// an evaluation stores the decision and its rank's entry; a
			// rank's hit stores the decision under the memo's key
			if hits := p.tiers.hits.Load(); entries() > 2+int(hits) || hits != 0 && hits < n-1 {
				t.Errorf("%d memo entries, %d rank hits for %d calls: evaluated more than once", entries(), hits, n)
			}
		})
	}
}
