package policies

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// fullInput sets every field of the input, optional ones included.
func fullInput() *Input {
	in := realisticInput()
	in.Request.Origin = "https://app.example.com"
	in.Request.Proxied = true
	in.Request.TLS.ClientCertSHA256 = "ab:cd"
	in.Key.ExpiresAt = 42
	in.Key.ClientCertSHA256 = "abcd"
	in.Key.DomainWrite = true
	in.Key.Limits = map[string]LimitOverride{
		"key-rate": {Rate: 50, Burst: 100},
		"daily":    {Kind: "quota", Count: 10000, PerS: 86400},
		"c":        {Disabled: true},
	}
	ok := false
	in.Auth.PasswordOK = &ok
	in.Auth.SecretOK = true
	in.Auth.CertBound = true
	in.Auth.Signature.Replayed = true
	in.Schema = SchemaResult{Valid: false, Errors: []SchemaError{{Kind: "invalid", Param: "limit", Message: "must be 1-1000"}}}
	return in
}

// TestInputValueIsItsJSON: the hand-built OPA value of an input is the value
// of its JSON encoding (the contract's shape), for full, realistic and empty
// inputs.
func TestInputValueIsItsJSON(t *testing.T) {
	for name, in := range map[string]*Input{"full": fullInput(), "realistic": realisticInput(), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			want, err := ast.InterfaceToValue(doc)
			if err != nil {
				t.Fatal(err)
			}
			// Go's encoding writes nil slices and maps as null, which the
			// decider never sends: they become [] and {}.
			want = nullsToEmpty(t, want, in.Value())
			if got := in.Value(); ast.Compare(got, want) != 0 {
				t.Errorf("Value() differs from the JSON:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// nullsToEmpty replaces, in want, each null that got has as an empty
// array or object by that empty value.
func nullsToEmpty(t *testing.T, want, got ast.Value) ast.Value {
	t.Helper()
	wo, ok1 := want.(ast.Object)
	gobj, ok2 := got.(ast.Object)
	if !ok1 || !ok2 {
		if _, isNull := want.(ast.Null); isNull {
			switch g := got.(type) {
			case *ast.Array:
				if g.Len() == 0 {
					return g
				}
			case ast.Object:
				if g.Len() == 0 {
					return g
				}
			}
		}
		return want
	}
	out := ast.NewObject()
	wo.Foreach(func(k, v *ast.Term) {
		if gv := gobj.Get(k); gv != nil {
			out.Insert(k, ast.NewTerm(nullsToEmpty(t, v.Value, gv.Value)))
		} else {
			out.Insert(k, v)
		}
	})
	return out
}

// TestInputDocumented: the input table of README.md names exactly the
// fields the Go input has (objects are walked, lists and the free-form
// params and limits maps are leaves).
func TestInputDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start, end := strings.Index(section, "## Input document"), strings.Index(section, "## Decision")
	if start < 0 || end < start {
		t.Fatal("README.md has no Input document section before Decision")
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9_./]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(section[start:end], -1) {
		path := m[1]
		dot := strings.LastIndexByte(path, '.')
		for _, leaf := range strings.Split(path[dot+1:], "/") {
			documented = append(documented, path[:dot+1]+leaf)
		}
	}
	raw, err := json.Marshal(fullInput())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var fields []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := prefix + k
			if sub, ok := v.(map[string]any); ok && p != "request.params" && p != "key.limits" {
				walk(p+".", sub)
				continue
			}
			fields = append(fields, p)
		}
	}
	walk("", doc)
	sort.Strings(documented)
	sort.Strings(fields)
	if !slices.Equal(documented, fields) {
		t.Errorf("README.md documents\n%v\nthe Go input has\n%v", documented, fields)
	}
	leaves := slices.Sorted(slices.Values(inputLeaves))
	if !slices.Equal(leaves, fields) {
		t.Errorf("the memo key's inputLeaves are\n%v\nthe Go input has\n%v", leaves, fields)
	}
}

// TestAppendLeafFollowsItsPath changes each field of the input through its
// JSON document and checks that the memo key's encoding of the leaf of that
// path changes, and of no other leaf: appendLeaf reads the field its path
// in inputLeaves names.
func TestAppendLeafFollowsItsPath(t *testing.T) {
	encode := func(in *Input) [][]byte {
		var enc [][]byte
		for i := range inputLeaves {
			enc = append(enc, appendLeaf(nil, in, uint8(i)))
		}
		return enc
	}
	base := encode(fullInput())
	for i, path := range inputLeaves {
		raw, err := json.Marshal(fullInput())
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(path, ".")
		m := doc
		for _, k := range parts[:len(parts)-1] {
			m = m[k].(map[string]any)
		}
		last := parts[len(parts)-1]
		switch v := m[last].(type) {
		case string:
			m[last] = v + "x"
		case bool:
			m[last] = !v
		case float64:
			m[last] = v + 4096 // more than float64 loses at now_ns
		case nil:
			m[last] = true
		case []any:
			if path == "schema.errors" {
				m[last] = append(v, map[string]any{"kind": "x"})
			} else {
				m[last] = append(v, "x")
			}
		case map[string]any:
			if path == "key.limits" {
				v["added"] = map[string]any{"kind": "rate"}
			} else {
				v["added"] = "x"
			}
		default:
			t.Fatalf("%s: %T not handled", path, v)
		}
		changed, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var in Input
		if err := json.Unmarshal(changed, &in); err != nil {
			t.Fatal(err)
		}
		for j, enc := range encode(&in) {
			if same := bytes.Equal(enc, base[j]); same != (i != j) {
				t.Errorf("changing %s: encoding of %s unchanged = %t", path, inputLeaves[j], same)
			}
		}
	}
}
