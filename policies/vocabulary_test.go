package policies

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/facegate/facegate/engine/skyerr"
)

// TestRegoErrorNames ties the Rego errors module to Go's table: every code
// the policies can deny with has skyerr's name for it.
func TestRegoErrorNames(t *testing.T) {
	mods, err := parseModules(allPolicyFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){rego.Query("data.facegate.errors.names")}
	for _, m := range mods {
		opts = append(opts, rego.ParsedModule(m))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("evaluating data.facegate.errors.names: %v %v", rs, err)
	}
	names, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok || len(names) < 10 {
		t.Fatalf("names = %#v", rs[0].Expressions[0].Value)
	}
	for code, name := range names {
		n, err := ast.ParseTerm(code)
		c, ok := 0, false
		if err == nil {
			if num, isNum := n.Value.(ast.Number); isNum {
				c, ok = num.Int()
			}
		}
		if !ok || !skyerr.Known(c) || skyerr.Name(c) != name {
			t.Errorf("Rego names[%s] = %v, Go's table says %q", code, name, skyerr.Name(c))
		}
	}
}

// TestDecisionDetail covers the decision's detail field and the older
// error_message form: understood when it starts with the code's name,
// refused (fail closed) when it does not, as is a code Go does not know.
func TestDecisionDetail(t *testing.T) {
	cases := []struct {
		name, decision string
		code           int
		detail         string
	}{
		{"detail", `{"allow": false, "status": 403, "error_code": 307, "detail": "no", "reason": "x", "limits": []}`, 307, "no"},
		{"legacy message", `{"allow": false, "status": 403, "error_code": 307, "error_message": "ACTION_NOT_PERMITTED - no - really", "reason": "x", "limits": []}`, 307, "no - really"},
		{"legacy name only", `{"allow": false, "status": 403, "error_code": 307, "error_message": "ACTION_NOT_PERMITTED", "reason": "x", "limits": []}`, 307, ""},
		{"legacy allow", `{"allow": true, "status": 200, "error_code": 0, "error_message": "", "reason": "ok", "limits": []}`, 0, ""},
		{"legacy name of another code", `{"allow": false, "status": 403, "error_code": 307, "error_message": "MISSING_ARGUMENTS - no", "reason": "x", "limits": []}`, 104, "policy evaluation failed"},
		{"legacy free text", `{"allow": false, "status": 403, "error_code": 307, "error_message": "no", "reason": "x", "limits": []}`, 104, "policy evaluation failed"},
		{"unknown code", `{"allow": false, "status": 403, "error_code": 999, "detail": "no", "reason": "x", "limits": []}`, 104, "policy evaluation failed"},
		{"no detail", `{"allow": false, "status": 403, "error_code": 307, "reason": "x", "limits": []}`, 104, "policy evaluation failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := "package facegate\n\ndecision := " + c.decision + "\n"
			if err := os.WriteFile(filepath.Join(dir, "decision.rego"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			got := newTestDecider(t, dir).Decide(context.Background(), realisticInput())
			if got.ErrorCode != c.code || got.Detail != c.detail {
				t.Fatalf("got %s, want code %d detail %q", got, c.code, c.detail)
			}
		})
	}
}
