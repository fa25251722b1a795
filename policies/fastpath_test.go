package policies

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// fastPathPackages expose an `ok` rule that data.facegate.decision uses
// to allow a request without evaluating the deny sets.
var fastPathPackages = []string{"routes", "keys", "auth", "scopes", "schema", "namespaces", "limits"}

// variations are small changes to the realistic input at the edges of the
// ok rules: each deny case, each allow case and the corner cases of
// parsing, time, signatures, certificates and limits.
func variations() []func(*Input) {
	vs := []func(*Input){func(*Input) {}}
	for _, c := range denyCases {
		vs = append(vs, c.mutate)
	}
	return append(vs,
		func(in *Input) { in.Request.Proxied = true; in.Request.Route = "/v1/items" },
		func(in *Input) { in.Request.Method = "GET" },
		func(in *Input) { in.Request.Method = "HEAD" },
		func(in *Input) { in.Request.Params = nil },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "mark@ docs", "namespace": "docs"} },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "mark@docs@team", "namespace": "docs"} },
		func(in *Input) { in.Request.Params = map[string]string{"uid": "eve@", "namespace": "docs"} },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "all", "namespace": " docs "} },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "mark", "namespace": " "} },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "mark@docs, anna@team,"} },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "mark@docs,anna"} },
		func(in *Input) { in.Request.Params = map[string]string{"uid": "all@docs", "namespaces": "team,other"} },
		func(in *Input) { in.Request.Params = map[string]string{"uids": "mark@docs,eve@"} },
		func(in *Input) {
			in.Request.Params = map[string]string{"namespaces": " docs , team,", "namespace": "docs"}
		},
		func(in *Input) {
			in.Request.Params = map[string]string{"namespaces": "docs,other", "namespace": "docs"}
		},
		func(in *Input) { in.Request.Params = map[string]string{"namespace": ""} },
		func(in *Input) { in.Request.Params = map[string]string{"uid": "x@other"} },
		func(in *Input) { in.Key.Namespaces = []string{"*"} },
		func(in *Input) { in.Key.Namespaces = nil },
		func(in *Input) { in.Key.ExpiresAt = in.NowNS + 1 },
		func(in *Input) { in.Key.ExpiresAt = in.NowNS },
		func(in *Input) { in.Key.ExpiresAt = -1 },
		func(in *Input) {
			in.Auth.Signature.Covered = []string{"content-digest", "@method", "@authority", "@path", "@query", "content-type", "date"}
		},
		func(in *Input) { in.Auth.Signature.Covered = nil },
		func(in *Input) { in.Auth.Signature.AgeS = 300 },
		func(in *Input) { in.Auth.Signature.AgeS = -300 },
		func(in *Input) { in.Auth.PasswordOK = boolPtr(true) },
		func(in *Input) { in.Auth.CertBound = true; in.Key.ClientCertSHA256 = "ab:12" },
		func(in *Input) { in.Key.ClientCertSHA256 = "AB:12"; in.Request.TLS.ClientCertSHA256 = "ab12" },
		func(in *Input) { in.Key.ClientCertSHA256 = "ab12"; in.Request.TLS.ClientCertSHA256 = "ab13" },
		func(in *Input) { in.Auth = AuthInput{Mode: "secret", SecretOK: true} },
		func(in *Input) { in.Request.TLS.Version = "1.1" },
		func(in *Input) {
			in.Key.AuthModes = []string{"domain"}
			in.Auth = AuthInput{Mode: "domain"}
			in.Request.Origin = "HTTPS://App.Example.com/"
		},
		func(in *Input) { in.Key.DomainWrite = true },
		func(in *Input) { in.Request.Route = "faces/train"; in.Request.Images = 0 },
		func(in *Input) { in.Request.Route = "tags/get"; in.Request.Images = 0 },
		func(in *Input) {
			in.Request.Route = "tags/get"
			in.Request.Images = 0
			in.Request.Params["pids"] = "p1"
		},
		func(in *Input) { in.Request.Route = "account/limits"; in.Request.Images = 0 },
		func(in *Input) { in.Request.Route = "faces/detect"; in.Request.Images = 0 },
		func(in *Input) { in.Schema = SchemaResult{} },
		func(in *Input) { in.Key.Scopes = []string{"*"} },
		func(in *Input) { in.Key.Scopes = []string{"proxy/*"} },
		func(in *Input) { in.Key.Scopes = []string{"/v1/*"} },
		func(in *Input) { in.Key.Tier = "unlimited" },
		func(in *Input) { in.Key.Tier = "gold" },
		func(in *Input) { in.Key.Limits = map[string]LimitOverride{"quota": {Count: 5}} },
		func(in *Input) {
			in.Key.Limits = map[string]LimitOverride{"daily": {Kind: "quota", Count: 10, PerS: 86400}}
		},
		func(in *Input) { in.Key.Limits = map[string]LimitOverride{"key-rate": {Disabled: true}} },
	)
}

// TestOkImpliesNoDenial checks the fast path's contract on every single
// variation and every pair of them: whenever a package's ok holds, its deny
// set is empty, and whenever the whole fast path allows, the ranked deny
// sets allow too. A violation would be a request the fast path lets through
// that the policies refuse.
func TestOkImpliesNoDenial(t *testing.T) {
	c := compiledPolicies(t, false)
	ctx := context.Background()
	type check struct {
		pkg        string
		ok, denied rego.PreparedEvalQuery
	}
	prepare := func(q string) rego.PreparedEvalQuery {
		pq, err := rego.New(rego.Query(q), rego.Compiler(c)).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return pq
	}
	oks := make([]string, len(fastPathPackages))
	for i, p := range fastPathPackages {
		oks[i] = "data.facegate." + p + ".ok"
	}
	fastPath := strings.Join(oks, "; ")
	checks := []check{{"facegate", prepare(fastPath), prepare("not data.facegate.no_denials")}}
	for _, p := range fastPathPackages {
		checks = append(checks, check{p, prepare("data.facegate." + p + ".ok"), prepare("count(data.facegate." + p + ".deny) > 0")})
	}
	holds := func(q rego.PreparedEvalQuery, v ast.Value) bool {
		rs, err := q.Eval(ctx, rego.EvalParsedInput(v))
		if err != nil {
			t.Fatal(err)
		}
		// OPA answers a comparison that fails with false, a rule that does
		// not hold with no result: both mean the query does not hold.
		if len(rs) == 0 {
			return false
		}
		for _, e := range rs[0].Expressions {
			if e.Value != true {
				return false
			}
		}
		return true
	}
	vs := variations()
	fast := map[string]int{}
	for i := range vs {
		for j := i; j < len(vs); j++ {
			in, ok := combine(vs[i], vs[j])
			if !ok {
				continue
			}
			v := in.Value()
			for _, ch := range checks {
				if !holds(ch.ok, v) {
					continue
				}
				fast[ch.pkg]++
				if holds(ch.denied, v) {
					t.Errorf("variations %d+%d: %s.ok holds but it denies: %s", i, j, ch.pkg, v)
				}
			}
		}
	}
	// The fast path must actually be taken, in every package.
	for _, ch := range checks {
		if fast[ch.pkg] == 0 {
			t.Errorf("%s.ok never held", ch.pkg)
		}
	}
	t.Logf("inputs where ok held: %v", fast)
}

// combine applies two variations to the realistic input; ok is false when
// they do not compose (the second indexes into what the first removed).
func combine(a, b func(*Input)) (in *Input, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	in = realisticInput()
	a(in)
	b(in)
	return in, true
}

// TestDecideMatchesPlainEvaluation compares Decide (fast path, evaluation
// cache with constant rules) with OPA's own evaluation of the same query
// without any of the decider's options and without the fast path (every
// deny set ranked), on every pair of variations.
func TestDecideMatchesPlainEvaluation(t *testing.T) {
	d := newTestDecider(t, "")
	plain, err := rego.New(rego.Query(Query), rego.Compiler(compiledPolicies(t, false)),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return decisionFromTerm(t) }),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	vs := variations()
	allowed := 0
	for pass := range 2 { // the second pass is answered by the memo
		for i := range vs {
			for j := i; j < len(vs); j++ {
				decideAndCompare(t, d, plain, vs, pass, i, j, &allowed)
			}
		}
	}
	if allowed == 0 {
		t.Error("no variation was allowed")
	}
}

// decideAndCompare checks Decide against the plain evaluation for the
// combination of variations i and j.
func decideAndCompare(t *testing.T, d *Decider, plain rego.PreparedEvalQuery, vs []func(*Input), pass, i, j int, allowed *int) {
	t.Helper()
	ctx := context.Background()
	in, ok := combine(vs[i], vs[j])
	if !ok {
		return
	}
	rs, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value()))
	if err != nil || len(rs) != 1 {
		t.Fatalf("variations %d+%d: plain evaluation: %v %v", i, j, rs, err)
	}
	want := rs[0].Expressions[0].Value.(Decision)
	got := d.Decide(ctx, in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pass %d, variations %d+%d: Decide = %s, plain evaluation = %s", pass, i, j, got, want)
	}
	if got.Allow {
		*allowed++
	}
}

// TestFastPathOnlyForVerifiedPolicies checks that the fast path is enabled
// for the shipped policies (embedded or written out unchanged) and that an
// operator's added deny rule takes effect on a request the fast path would
// allow.
func TestFastPathOnlyForVerifiedPolicies(t *testing.T) {
	if !newTestDecider(t, "").active.Load().fastPath {
		t.Error("fast path disabled for the embedded policies")
	}
	dir := copyEmbedded(t)
	if !newTestDecider(t, filepath.Join(dir, "facegate")).active.Load().fastPath {
		t.Error("fast path disabled for an unchanged copy of the policies' facegate folder")
	}
	d := newTestDecider(t, dir) // as the plugin's policies_dir: facegate/ and schemas/
	if !d.active.Load().fastPath {
		t.Error("fast path disabled for an unchanged copy of the policies")
	}
	ctx := context.Background()
	if dec := d.Decide(ctx, realisticInput()); !dec.Allow {
		t.Fatalf("realistic input denied: %s", dec)
	}
	routes := filepath.Join(dir, "facegate", "routes", "routes.rego")
	src, err := os.ReadFile(routes)
	if err != nil {
		t.Fatal(err)
	}
	rule := "\ndeny contains errors.deny(10, 403, 307, \"disabled by the operator\", \"route_disabled\") if {\n\tinput.request.route == \"faces/recognize\"\n}\n"
	if err := os.WriteFile(routes, append(src, rule...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if d.active.Load().fastPath {
		t.Error("fast path still enabled for edited policies")
	}
	if dec := d.Decide(ctx, realisticInput()); dec.Allow || dec.Reason != "route_disabled" || dec.Status != 403 || dec.ErrorCode != 307 {
		t.Errorf("added deny rule not in effect: %s", dec)
	}
}
