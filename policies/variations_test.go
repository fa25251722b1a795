package policies

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// variations are small changes to the realistic input at the edges of the
// policies: each deny case, each allow case and the corner cases of
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

// TestDecideMatchesPlainEvaluation compares Decide (memo on) with
// OPA's own evaluation of the same query without any of the decider's
// options, on every pair of variations.
func TestDecideMatchesPlainEvaluation(t *testing.T) {
	d := newTestDecider(t, "")
	plain := plainQuery(t, "")
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

// TestOperatorDenyRuleTakesEffect: a deny rule an operator adds to a copy
// of the policies refuses a request that was allowed (and memoized) before
// the reload.
func TestOperatorDenyRuleTakesEffect(t *testing.T) {
	dir := copyEmbedded(t) // as the plugin's policies_dir: facegate/ and schemas/
	d := newTestDecider(t, dir)
	ctx := context.Background()
	for range 2 {
		if dec := d.Decide(ctx, realisticInput()); !dec.Allow {
			t.Fatalf("realistic input denied: %s", dec)
		}
	}
	rule := "\ndeny contains errors.deny(10, 403, 307, \"disabled by the operator\", \"route_disabled\") if {\n\tinput.request.route == \"faces/recognize\"\n}\n"
	appendFile(t, filepath.Join(dir, "facegate", "routes", "routes.rego"), rule)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if dec := d.Decide(ctx, realisticInput()); dec.Allow || dec.Reason != "route_disabled" || dec.Status != 403 || dec.ErrorCode != 307 {
		t.Errorf("added deny rule not in effect: %s", dec)
	}
}
