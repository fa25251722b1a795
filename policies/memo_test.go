package policies

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Edits of the shipped policies that the memo tests decide with, each
// appended to routes.rego (which imports errors).
const (
	// editReadsAddress reads a field the shipped policies do not read: the
	// memo key must start to include it.
	editReadsAddress = "\ndeny contains errors.deny(10, 403, 307, \"blocked address\", \"address_blocked\") if {\n\tinput.request.remote_ip == \"203.0.113.7\"\n}\n"
	// editClockConstant compares now_ns with a constant (a switch-off date).
	editClockConstant = "\ndeny contains errors.deny(10, 403, 307, \"switched off\", \"switched_off\") if {\n\tinput.now_ns >= 1800000001000000000\n}\n"
	// editWholeInput reads the input as a whole: no memo.
	editWholeInput = "\ndeny contains errors.deny(10, 403, 307, \"too many fields\", \"input_too_large\") if {\n\tcount(input) > 5\n}\n"
	// editDynamicRef reads a field named by the params: no memo.
	editDynamicRef = "\ndeny contains errors.deny(10, 403, 307, \"flagged\", \"flagged\") if {\n\tsome name in object.keys(input.request.params)\n\tinput[name] == true\n}\n"
	// editClockArithmetic reads now_ns outside a plain comparison: no memo.
	editClockArithmetic = "\ndeny contains errors.deny(10, 403, 307, \"stale\", \"stale_key\") if {\n\tinput.now_ns - input.key.expires_at > 1000000000\n\tinput.key.expires_at > 0\n}\n"
)

// editedSet writes the shipped policies with edit appended to routes.rego
// to a temp dir (the shipped set for an empty edit; its own tail otherwise).
func editedSet(t *testing.T, edit string) string {
	t.Helper()
	if edit == "" {
		return ""
	}
	dir := copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "routes", "routes.rego"), edit)
	return dir
}

// randomInput is the realistic input with one of pairs of variations and random
// values of fields some policy sets read and others do not (address, key id,
// uids, the clock), drawn from small pools so that inputs repeat.
func randomInput(rng *rand.Rand, pairs [][2]func(*Input)) *Input {
	for {
		pair := pairs[rng.IntN(len(pairs))]
		in, ok := combine(pair[0], pair[1])
		if !ok {
			continue
		}
		in.Request.RemoteIP = []string{"192.0.2.10", "203.0.113.7", "198.51.100.1"}[rng.IntN(3)]
		in.Key.ID = []string{"fg_live_test", "fg_live_other"}[rng.IntN(2)]
		in.NowNS += int64(rng.IntN(3)) * 1_000_000_000
		if in.Request.Params != nil && rng.IntN(3) == 0 {
			in.Request.Params["uids"] = []string{"zoe@docs", "mark@team,anna", "eve@other", "all", ""}[rng.IntN(5)]
		}
		if rng.IntN(4) == 0 {
			in.Request.Params = map[string]string{"namespace": "docs", "uids": "mark@docs", "api_secret": fmt.Sprint(rng.IntN(9))}
		}
		if in.Request.Params != nil && rng.IntN(2) == 0 { // params no shipped policy reads
			in.Request.Params["urls"] = fmt.Sprintf("https://example.com/%d.jpg", rng.IntN(50))
			in.Request.Params["detector"] = []string{"normal", "aggressive"}[rng.IntN(2)]
		}
		return in
	}
}

// TestMemoMatchesPlainEvaluation decides random inputs through Decide (memo
// and rule cache on) and compares every decision with OPA's plain
// evaluation of the same input: for the shipped policies and for edited
// sets, including one that reads a field the shipped set does not (the key
// must include it) and sets the memo must refuse.
func TestMemoMatchesPlainEvaluation(t *testing.T) {
	for _, tc := range []struct {
		name, edit string
		memo       bool
	}{
		{"shipped", "", true},
		{"reads remote_ip", editReadsAddress, true},
		{"clock test with a constant", editClockConstant, true},
		{"whole input", editWholeInput, false},
		{"dynamic ref", editDynamicRef, false},
		{"clock arithmetic", editClockArithmetic, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := editedSet(t, tc.edit)
			d := newTestDecider(t, dir)
			p := d.active.Load()
			if (p.memo != nil) != tc.memo {
				t.Fatalf("memo = %v, want one: %t", p.memo != nil, tc.memo)
			}
			plain := plainQuery(t, dir)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(3, uint64(len(tc.name))))
			vs := variations()
			pairs := make([][2]func(*Input), 60)
			for i := range pairs {
				pairs[i] = [2]func(*Input){vs[rng.IntN(len(vs))], vs[rng.IntN(len(vs))]}
			}
			reasons := map[string]int{}
			const n = 400
			for i := range n {
				in := randomInput(rng, pairs)
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
			if p.memo != nil {
				kept := len(p.memo.entries) + len(p.memo.older)
				t.Logf("%d inputs, %d memoized, reasons %v", n, kept, reasons)
				if kept > n*3/4 {
					t.Errorf("%d keys for %d inputs: the memo was hardly exercised", kept, n)
				}
			}
			if len(reasons) < 8 || reasons["ok"] == 0 {
				t.Errorf("decisions %v: too few reasons exercised", reasons)
			}
		})
	}
}

// TestMemoKeyFollowsPolicy: what enters the key is what the loaded policy
// set reads. The shipped set does not read the address, the key id or the
// other params; a set that reads the address keys on it.
func TestMemoKeyFollowsPolicy(t *testing.T) {
	key := func(d *Decider, in *Input) []byte {
		k, _ := d.active.Load().memo.key(nil, in.Value())
		return k
	}
	shipped := newTestDecider(t, "")
	reads := newTestDecider(t, editedSet(t, editReadsAddress))
	a, b := realisticInput(), realisticInput()
	b.Request.RemoteIP = "203.0.113.7"
	if !bytes.Equal(key(shipped, a), key(shipped, b)) {
		t.Error("shipped policies: the address changed the key")
	}
	if bytes.Equal(key(reads, a), key(reads, b)) {
		t.Error("a policy reading remote_ip: the address did not change the key")
	}
	ctx := context.Background()
	if dec := reads.Decide(ctx, a); !dec.Allow {
		t.Fatalf("allowed address denied: %s", dec)
	}
	if dec := reads.Decide(ctx, b); dec.Reason != "address_blocked" {
		t.Fatalf("blocked address after an allowed one: %s", dec)
	}
}

func TestMemo(t *testing.T) {
	d := newTestDecider(t, "")
	ctx := context.Background()
	p := d.active.Load()
	if p.memo == nil {
		t.Fatal("no memo for the shipped policies")
	}

	t.Run("expiry boundary", func(t *testing.T) {
		in := realisticInput()
		in.Key.ExpiresAt = in.NowNS + 10
		for _, step := range []struct {
			now    int64
			reason string
		}{{in.NowNS, "ok"}, {in.NowNS + 9, "ok"}, {in.NowNS + 10, "key_expired"}, {in.NowNS + 11, "key_expired"}, {in.NowNS, "ok"}} {
			in.NowNS = step.now
			for range 2 { // the second one is answered by the memo
				if got := d.Decide(ctx, in); got.Reason != step.reason {
					t.Fatalf("now %d: got %s, want %s", step.now, got, step.reason)
				}
			}
		}
	})

	t.Run("denials are memoized", func(t *testing.T) {
		in := realisticInput()
		in.Request.Params["uids"] = "eve@other"
		before := len(p.memo.entries)
		for range 2 {
			if got := d.Decide(ctx, in); got.Reason != "namespace_not_owned" {
				t.Fatalf("got %s", got)
			}
		}
		if len(p.memo.entries) != before+1 {
			t.Errorf("memo grew from %d to %d entries for one denied input", before, len(p.memo.entries))
		}
	})

	t.Run("answers are copies", func(t *testing.T) {
		in := realisticInput()
		first := d.Decide(ctx, in)
		first.Limits[0].Count = 999
		if again := d.Decide(ctx, in); again.Limits[0].Count == 999 {
			t.Fatal("a caller's change to Limits reached the memo")
		}
	})

	t.Run("key", func(t *testing.T) {
		in := realisticInput()
		in.Request.Params["api_secret"] = "s3cr3t-value"
		in.Request.Params["password"] = "hunter2"
		key, ok := p.memo.key(nil, in.Value())
		if !ok {
			t.Fatal("realistic input not memoizable")
		}
		for _, secret := range []string{"s3cr3t-value", "hunter2", "api_secret"} {
			if bytes.Contains(key, []byte(secret)) {
				t.Errorf("memo key contains %q", secret)
			}
		}
		in.Request.Params["api_secret"] = "other"
		in.NowNS++
		if same, _ := p.memo.key(nil, in.Value()); !bytes.Equal(same, key) {
			t.Error("memo key depends on the secret or on now_ns")
		}
		in.Request.Params["uids"] = strings.Repeat("u@docs,", 400)
		if _, ok := p.memo.key(nil, in.Value()); ok {
			t.Error("a 2.8 KB input is memoized")
		}
	})

	t.Run("bounded", func(t *testing.T) {
		m := newMemo(&ruleDeps{cacheable: true})
		hot := []byte("hot")
		m.put(hot, Decision{Reason: "hot"})
		for i := range 3 * memoMaxEntries {
			m.put([]byte(fmt.Sprint(i)), Decision{Reason: "ok"})
			if n := len(m.entries) + len(m.older); n > memoMaxEntries {
				t.Fatalf("%d entries, bound %d", n, memoMaxEntries)
			}
			if i%1000 == 0 { // a decision still in use survives the flow of others
				if dec, ok := m.get(hot); !ok || dec.Reason != "hot" {
					t.Fatalf("after %d other entries the hot one is gone", i)
				}
			}
		}
		if _, ok := m.get([]byte("0")); ok {
			t.Error("an entry unused for 3× the bound is still held")
		}
	})

	t.Run("reload starts empty", func(t *testing.T) {
		d.Decide(ctx, realisticInput())
		if len(p.memo.entries) == 0 {
			t.Fatal("nothing memoized")
		}
		if err := d.Reload(); err != nil {
			t.Fatal(err)
		}
		if next := d.active.Load(); next.memo == p.memo || len(next.memo.entries) != 0 {
			t.Fatal("the reloaded policies kept the old memo")
		}
	})

	t.Run("edited policies have one", func(t *testing.T) {
		dir := copyEmbedded(t)
		appendFile(t, dir+"/facegate/routes/routes.rego", "\n# edited\n")
		if newTestDecider(t, dir).active.Load().memo == nil {
			t.Fatal("no memo for edited policies")
		}
	})
}

// TestMemoKeyCoversEveryInputField changes every field of the input, one
// at a time, and checks that the shipped policies' memo key changes
// exactly for the fields they read: the encoding handles every kind of
// field in Input, and the fields left out are the ones pinned here (the
// shipped policies read neither the address nor the key id; now_ns only
// through the expiry tests).
func TestMemoKeyCoversEveryInputField(t *testing.T) {
	m := newTestDecider(t, "").active.Load().memo
	base, _ := m.key(nil, realisticInput().Value())
	unread := map[string]bool{"Input.NowNS": true, "Input.Request.RemoteIP": true, "Input.Key.ID": true,
		"Input.Request.Params": true} // the param added is named "added": params are read by name, below
	var paths []string
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
			return
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		case reflect.Map:
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			v.SetMapIndex(reflect.ValueOf("added"), reflect.Zero(v.Type().Elem()))
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
		default:
			t.Fatalf("%s: kind %s not handled", path, v.Kind())
		}
		paths = append(paths, path)
	}
	// Collect the leaf paths on one copy, then change each on a fresh input.
	walk(reflect.ValueOf(realisticInput()).Elem(), "Input")
	for _, path := range paths {
		in := realisticInput()
		var change func(v reflect.Value, p string) bool
		change = func(v reflect.Value, p string) bool {
			if p == path {
				saved := paths
				walk(v, p)
				paths = saved
				return true
			}
			if v.Kind() == reflect.Struct {
				for i := range v.NumField() {
					if change(v.Field(i), p+"."+v.Type().Field(i).Name) {
						return true
					}
				}
			}
			return false
		}
		change(reflect.ValueOf(in).Elem(), "Input")
		key, _ := m.key(nil, in.Value())
		if same := bytes.Equal(key, base); same != unread[path] {
			t.Errorf("changing %s: memo key unchanged = %t", path, same)
		}
	}
	if len(paths) < 30 {
		t.Fatalf("only %d fields walked", len(paths))
	}
	// The params the shipped policies read by name (namespace, namespaces,
	// uids, uid, pids) change the key; the others do not.
	for _, c := range []struct {
		params  map[string]string
		changes bool
	}{
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "detector": "aggressive", "api_key": "fg_live_test"}, false},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "detector": "normal", "urls": "https://x", "api_key": "k"}, false},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs"}, false},
		{map[string]string{"uids": "mark@docs,anna@team", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uid": "mark@docs,anna@docs", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs ", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "namespaces": "docs"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "pids": "p1"}, true},
	} {
		in := realisticInput()
		in.Request.Params = c.params
		key, _ := m.key(nil, in.Value())
		if changed := !bytes.Equal(key, base); changed != c.changes {
			t.Errorf("params %v: memo key changed = %t, want %t", c.params, changed, c.changes)
		}
	}
	// The key of an override's field: zero is left out of the input, as
	// LimitOverride.value leaves it out.
	in := realisticInput()
	in.Key.Limits = map[string]LimitOverride{"quota": {Count: 5}}
	k1, _ := m.key(nil, in.Value())
	in.Key.Limits = map[string]LimitOverride{"quota": {Count: 5, Rate: 0.5}}
	if k2, _ := m.key(nil, in.Value()); bytes.Equal(k1, k2) {
		t.Error("a limit override's rate did not change the key")
	}
}

func TestNoMemoOption(t *testing.T) {
	d, err := NewDecider(Options{NoMemo: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.active.Load().memo != nil {
		t.Error("NoMemo decider has a memo")
	}
	if dec := d.Decide(context.Background(), realisticInput()); !dec.Allow {
		t.Errorf("NoMemo decider denies the realistic input: %s", dec)
	}
}

// TestMemoKeyEncodingInjective: values that differ encode differently,
// whatever their types and however their strings split.
func TestMemoKeyEncodingInjective(t *testing.T) {
	values := []ast.Value{
		nil, ast.NullValue, ast.Boolean(false), ast.Boolean(true), ast.Number("1"), ast.String("1"),
		ast.String(""), ast.String("ab"),
		ast.NewArray(), ast.NewObject(), ast.NewSet(),
		ast.NewArray(ast.StringTerm("a"), ast.StringTerm("bc")), ast.NewArray(ast.StringTerm("ab"), ast.StringTerm("c")),
		ast.NewArray(ast.StringTerm("abc")), ast.NewSet(ast.StringTerm("abc")),
		ast.NewObject(ast.Item(ast.StringTerm("a"), ast.StringTerm("b"))),
		ast.NewObject(ast.Item(ast.StringTerm("ab"), ast.StringTerm(""))),
		ast.NewObject(ast.Item(ast.StringTerm("a"), ast.NullTerm())),
	}
	seen := map[string]int{}
	for i, v := range values {
		k := string(appendValue(nil, v))
		if j, dup := seen[k]; dup {
			t.Errorf("%v and %v encode alike", values[j], v)
		}
		seen[k] = i
	}
	// Objects encode in key order, whatever the order they were built in.
	a := ast.NewObject(ast.Item(ast.StringTerm("x"), ast.IntNumberTerm(1)), ast.Item(ast.StringTerm("y"), ast.IntNumberTerm(2)))
	b := ast.NewObject(ast.Item(ast.StringTerm("y"), ast.IntNumberTerm(2)), ast.Item(ast.StringTerm("x"), ast.IntNumberTerm(1)))
	if !bytes.Equal(appendValue(nil, a), appendValue(nil, b)) {
		t.Error("equal objects built in another order encode differently")
	}
}
