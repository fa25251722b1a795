package policies

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// TestMemoTimeDependenceIsKnown guards the memo's exactness: in the shipped
// policies a decision may depend on now_ns only through the key expiry
// comparisons, and nothing reads the input as a whole or the clock.
func TestMemoTimeDependenceIsKnown(t *testing.T) {
	files, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"keys/keys.rego: input.now_ns < input.key.expires_at":  true,
		"keys/keys.rego: input.now_ns >= input.key.expires_at": true,
	}
	wholeInput := regexp.MustCompile(`\binput\b($|[^.])`)
	clock := regexp.MustCompile(`\b(time|rand|uuid|http|net|opa)\.[a-z_]+\(`)
	uses := 0
	for _, f := range files {
		for _, line := range strings.Split(string(f.src), "\n") {
			code, _, _ := strings.Cut(line, "#")
			code = strings.TrimSpace(code)
			if strings.Contains(code, "now_ns") {
				uses++
				if !allowed[f.name+": "+code] {
					t.Errorf("%s: now_ns used in %q: review memo.go's key before allowing it here", f.name, code)
				}
			}
			if wholeInput.MatchString(code) || clock.MatchString(code) {
				t.Errorf("%s: %q reads the whole input or a non-deterministic built-in: review memo.go", f.name, code)
			}
		}
	}
	if uses != len(allowed) {
		t.Errorf("found %d uses of now_ns, want %d", uses, len(allowed))
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
		key, ok := in.memoKey(nil)
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
		if same, _ := in.memoKey(nil); !bytes.Equal(same, key) {
			t.Error("memo key depends on the secret or on now_ns")
		}
		// Every variation of the input gets its own key.
		seen := map[string]int{}
		for i, v := range variations() {
			in := realisticInput()
			v(in)
			k, _ := in.memoKey(nil)
			if j, dup := seen[string(k)]; dup && i != 0 && j != 0 {
				t.Errorf("variations %d and %d share a key", j, i)
			}
			seen[string(k)] = i
		}
		in.Request.Params["uids"] = strings.Repeat("u@docs,", 400)
		if _, ok := in.memoKey(nil); ok {
			t.Error("a 2.8 KB input is memoized")
		}
	})

	t.Run("bounded", func(t *testing.T) {
		m := newMemo()
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

	t.Run("edited policies have none", func(t *testing.T) {
		dir := copyEmbedded(t)
		routes := dir + "/facegate/routes/routes.rego"
		appendFile(t, routes, "\n# edited\n")
		if newTestDecider(t, dir).active.Load().memo != nil {
			t.Fatal("memo for edited policies")
		}
	})
}

// TestMemoKeyCoversEveryInputField changes every field of the input, one
// at a time, and checks that the memo key changes (except for now_ns,
// which only counts through the expiry bit): a field added to Input but
// not to memoKey would make the memo answer for the wrong input.
func TestMemoKeyCoversEveryInputField(t *testing.T) {
	base, _ := realisticInput().memoKey(nil)
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
		key, _ := in.memoKey(nil)
		// now_ns is left out; an added param named "added" is not read by
		// the shipped policies (the params have their own test below).
		unread := path == "Input.NowNS" || path == "Input.Request.Params"
		if same := bytes.Equal(key, base); same != unread {
			t.Errorf("changing %s: memo key unchanged = %t", path, same)
		}
	}
	if len(paths) < 30 {
		t.Fatalf("only %d fields walked", len(paths))
	}
	// Params: every change the shipped policies can see changes the key,
	// the others do not.
	for _, c := range []struct {
		params  map[string]string
		changes bool
	}{
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "detector": "aggressive"}, false},
		{map[string]string{"uids": "zoe@docs, bob@docs", "namespace": "docs", "detector": "normal", "urls": "https://x"}, false},
		{map[string]string{"uids": "mark@docs,anna@team", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,all", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs,", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uid": "mark@docs,anna@docs", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs ", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "namespaces": "docs"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "pids": "p1"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "pids": " "}, false},
	} {
		in := realisticInput()
		in.Request.Params = c.params
		key, _ := in.memoKey(nil)
		if changed := !bytes.Equal(key, base); changed != c.changes {
			t.Errorf("params %v: memo key changed = %t, want %t", c.params, changed, c.changes)
		}
	}
}

// TestMemoParamsReadIsKnown pins every line of the shipped Rego that reads
// the params: the memo key encodes only what these can observe
// (appendParamsRead). A new read needs that function reviewed first.
func TestMemoParamsReadIsKnown(t *testing.T) {
	files, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]int{
		"namespaces/namespaces.rego: default_namespace := trim_space(input.request.params.namespace) if {": 1,
		"namespaces/namespaces.rego: is_string(input.request.params.namespace)":                            1,
		"namespaces/namespaces.rego: some name in [\"uids\", \"uid\"]":                                     3,
		"namespaces/namespaces.rego: some item in split_list(input.request.params[name])":                  1,
		"namespaces/namespaces.rego: some ns in split_list(input.request.params.namespaces)":               1,
		"namespaces/namespaces.rego: not input.request.params.namespace":                                   2,
		"namespaces/namespaces.rego: not input.request.params.namespaces":                                  1,
		"namespaces/namespaces.rego: not input.request.params.uids":                                        1,
		"namespaces/namespaces.rego: not input.request.params.uid":                                         1,
		"namespaces/namespaces.rego: trim_space(input.request.params.namespace) != \"\"":                   1,
		"namespaces/namespaces.rego: ns := trim_space(input.request.params.namespace)":                     1,
		"namespaces/namespaces.rego: some raw in split(input.request.params[name], \",\")":                 2,
		"namespaces/namespaces.rego: some raw in split(input.request.params.namespaces, \",\")":            1,
		"schema/schema.rego: v := input.request.params[name]":                                              1,
		"schema/schema.rego: has_param(\"uids\")":                                                          1,
		"schema/schema.rego: has_param(\"pids\")":                                                          1,
		"schema/schema.rego: not has_param(\"uids\")":                                                      1,
		"schema/schema.rego: not has_param(\"pids\")":                                                      1,
	}
	wholeRequest := regexp.MustCompile(`\binput\.request($|[^.a-z_])|\binput\.request\.params($|[^.a-z_\[])`)
	seen := map[string]int{}
	for _, f := range files {
		for _, line := range strings.Split(string(f.src), "\n") {
			code, _, _ := strings.Cut(line, "#")
			code = strings.TrimSpace(code)
			if wholeRequest.MatchString(code) {
				t.Errorf("%s: %q reads input.request as a whole: review appendParamsRead (memo.go)", f.name, code)
			}
			if strings.Contains(code, "input.request.params") || strings.Contains(code, "has_param(") ||
				strings.Contains(code, "[\"uids\", \"uid\"]") {
				seen[f.name+": "+code]++
			}
		}
	}
	for line, n := range seen {
		if strings.HasPrefix(line, "schema/schema.rego: has_param(name) if {") {
			continue // the helper's head
		}
		if allowed[line] != n {
			t.Errorf("%s: %d reads of the params (%d allowed): review appendParamsRead (memo.go) first", line, n, allowed[line])
		}
	}
	for line, n := range allowed {
		if seen[line] != n {
			t.Errorf("%s: found %d times, pinned %d", line, seen[line], n)
		}
	}
}

// TestMemoParamsProjection: inputs whose params differ only in what the
// memo key leaves out get the same decision from OPA's plain evaluation of
// the shipped policies, across routes, keys and namespace layouts.
func TestMemoParamsProjection(t *testing.T) {
	plain := plainQuery(t, "")
	ctx := context.Background()
	items := []string{"", " ", "all", " all ", "mark", "anna", "mark@docs", "zoe@docs", "x@team", " y@team ", "eve@other",
		"y@", "@docs", "a@docs@x", "b@docs@x", "all@docs", "ALL"}
	others := []map[string]string{{}, {"detector": "aggressive"}, {"urls": "https://example.com/a.jpg"}, {"label": "x", "tids": "t1"}}
	rng := rand.New(rand.NewPCG(21, 22))
	// rename keeps what the policies can see of a uid list and changes the
	// rest: names before "@", bare names, other params.
	rename := func(v string) string {
		parts := strings.Split(v, ",")
		for i, part := range parts {
			item := strings.TrimSpace(part)
			name, ns, at := strings.Cut(item, "@")
			switch {
			case item == "" || item == "all":
			case at:
				parts[i] = " " + name + "2@" + ns
			default:
				parts[i] = item + "2"
			}
		}
		return strings.Join(parts, ",")
	}
	byKey := map[string]Decision{}
	checked, shared := 0, 0
	decide := func(in *Input) (Decision, []byte) {
		rs, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value()))
		if err != nil || len(rs) != 1 {
			t.Fatalf("plain evaluation: %v %v", rs, err)
		}
		key, _ := in.memoKey(nil)
		return rs[0].Expressions[0].Value.(Decision), key
	}
	for range 1500 {
		in := realisticInput()
		in.Request.Route = []string{"faces/recognize", "tags/get", "tags/save", "faces/detect"}[rng.IntN(4)]
		in.Request.Images = rng.IntN(2)
		in.Key.Namespaces = [][]string{{"docs", "team"}, {"docs"}, {"*"}}[rng.IntN(3)]
		p := map[string]string{}
		for k, v := range others[rng.IntN(len(others))] {
			p[k] = v
		}
		for _, name := range []string{"uids", "uid"} {
			if rng.IntN(3) == 0 {
				continue
			}
			var list []string
			for range 1 + rng.IntN(3) {
				list = append(list, items[rng.IntN(len(items))])
			}
			p[name] = strings.Join(list, ",")
		}
		if rng.IntN(2) == 0 {
			p["namespace"] = []string{"docs", " docs", "", "other", "team"}[rng.IntN(5)]
		}
		if rng.IntN(4) == 0 {
			p["namespaces"] = []string{"docs,team", "docs, other", ""}[rng.IntN(3)]
		}
		if rng.IntN(4) == 0 {
			p["pids"] = []string{"p1", " ", ""}[rng.IntN(3)]
		}
		in.Request.Params = p
		dec, key := decide(in)
		// The same call with other uid names and other unread params.
		twin := realisticInput()
		twin.Request.Route, twin.Request.Images, twin.Key.Namespaces = in.Request.Route, in.Request.Images, in.Key.Namespaces
		q := map[string]string{}
		for k, v := range others[rng.IntN(len(others))] {
			q[k] = v
		}
		for k, v := range p {
			switch k {
			case "uids", "uid":
				q[k] = rename(v)
			case "namespace", "namespaces", "pids":
				q[k] = v
			}
		}
		twin.Request.Params = q
		twinDec, twinKey := decide(twin)
		if !bytes.Equal(key, twinKey) {
			t.Fatalf("params %v and %v: memo keys differ", p, q)
		}
		if !reflect.DeepEqual(dec, twinDec) {
			t.Fatalf("params %v and %v share a memo key but OPA decides %s and %s", p, q, dec, twinDec)
		}
		checked += 2
		for _, kd := range []struct {
			k []byte
			d Decision
		}{{key, dec}, {twinKey, twinDec}} {
			if prev, seen := byKey[string(kd.k)]; seen {
				shared++
				if !reflect.DeepEqual(prev, kd.d) {
					t.Fatalf("two inputs share a memo key but OPA decides %s and %s", prev, kd.d)
				}
			} else {
				byKey[string(kd.k)] = kd.d
			}
		}
	}
	t.Logf("%d inputs, %d memo keys, %d sharing a key with an earlier one", checked, len(byKey), shared)
	if shared < 1500 {
		t.Errorf("only %d inputs shared a key: the projection was not exercised", shared)
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
