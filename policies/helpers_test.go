package policies

import (
	"context"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// realisticInput is an allowed faces/recognize call: signature mode, two
// uploaded images, free tier.
func realisticInput() *Input {
	return &Input{
		Request: RequestInput{
			Method:   "POST",
			Route:    "faces/recognize",
			Params:   map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "detector": "normal", "api_key": "fg_live_test"},
			RemoteIP: "192.0.2.10",
			TLS:      TLSInput{Version: "1.3"},
			Images:   2,
		},
		Key: KeyInput{
			ID:             "fg_live_test",
			Found:          true,
			Status:         "active",
			Scopes:         []string{"faces/*", "tags/*", "account/*"},
			Namespaces:     []string{"docs", "team"},
			AuthModes:      []string{"signature", "secret"},
			AllowedOrigins: []string{"https://app.example.com"},
			Tier:           "free",
		},
		Auth: AuthInput{
			Mode: "signature",
			Signature: SignatureInput{
				Present: true, Valid: true, AgeS: 3,
				Covered: []string{"@method", "@authority", "@path", "@query", "content-type", "content-digest"},
			},
		},
		Schema: SchemaResult{Valid: true, Errors: []SchemaError{}},
		NowNS:  1_800_000_000_000_000_000,
	}
}

func newTestDecider(t testing.TB, dir string) *Decider {
	t.Helper()
	d, err := NewDecider(Options{Dir: dir})
	if err != nil {
		t.Fatalf("NewDecider: %v", err)
	}
	return d
}

// copyEmbedded writes the embedded policies and schemas to a temp dir,
// as the facegate command does for operators.
func copyEmbedded(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, EmbeddedFS()); err != nil {
		t.Fatalf("copying embedded policies: %v", err)
	}
	return dir
}

func boolPtr(b bool) *bool { return &b }

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, append(src, text...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// plainQuery is data.facegate.decision of the policies in dir (embedded
// when empty) prepared by OPA alone: no caches.
func plainQuery(t *testing.T, dir string) rego.PreparedEvalQuery {
	t.Helper()
	fsys := embeddedPolicies()
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	files, err := readPolicyFiles(fsys, false)
	if err != nil {
		t.Fatal(err)
	}
	mods, err := parseModules(files)
	if err != nil {
		t.Fatal(err)
	}
	c, err := compileStrict(mods)
	if err != nil {
		t.Fatal(err)
	}
	q, err := rego.New(rego.Query(Query), rego.Compiler(c),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return decisionFromTerm(t) }),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// plainDecision is the decision of q (plainQuery) for in.
func plainDecision(t *testing.T, q rego.PreparedEvalQuery, in *Input) Decision {
	t.Helper()
	rs, err := q.Eval(context.Background(), rego.EvalParsedInput(in.Value()))
	if err != nil || len(rs) != 1 {
		t.Fatalf("plain evaluation: %v %v", rs, err)
	}
	return rs[0].Expressions[0].Value.(Decision)
}
