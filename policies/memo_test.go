package policies

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

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
		key, ok := p.memo.key(nil, in)
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
		if same, _ := p.memo.key(nil, in); !bytes.Equal(same, key) {
			t.Error("memo key depends on the secret or on now_ns")
		}
		// Every variation of the input gets its own key, but those that
		// differ only in the names of namespaces the key does not own (the
		// memo keeps whether the key owns a name, not the name); those
		// must get the same decision from OPA's plain evaluation.
		seen := map[string]int{}
		vs := variations()
		plain := plainQuery(t, "")
		shared := 0
		for i, v := range vs {
			in := realisticInput()
			v(in)
			k, _ := p.memo.key(nil, in)
			if j, dup := seen[string(k)]; dup && i != 0 && j != 0 {
				other := realisticInput()
				vs[j](other)
				if a, b := plainDecision(t, plain, other), plainDecision(t, plain, in); !reflect.DeepEqual(a, b) {
					t.Errorf("variations %d and %d share a key, and their decisions differ: %s, %s", j, i, a, b)
				}
				shared++
			}
			seen[string(k)] = i
		}
		if shared > 2 {
			t.Errorf("%d variations share a key with another", shared)
		}
		in.Request.Params["uids"] = strings.Repeat("u@docs,", 800)
		if _, ok := p.memo.key(nil, in); ok {
			t.Error("a 5.6 KB input is memoized")
		}
	})

	t.Run("bounded", func(t *testing.T) {
		m := &memo{entries: map[string]Decision{}}
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
		routes := dir + "/facegate/routes/routes.rego"
		appendFile(t, routes, "\n# edited\n")
		e := newTestDecider(t, dir).active.Load().memo
		if e == nil {
			t.Fatal("no memo for edited policies")
		}
		a, _ := e.key(nil, realisticInput())
		b, _ := p.memo.key(nil, realisticInput())
		if !bytes.Equal(a, b) {
			t.Fatal("a comment changed what the memo keys on")
		}
	})
}

// TestMemoKeyCoversEveryInputField changes every field of the input, one
// at a time, and checks that the memo key changes (except for now_ns,
// which only counts through the expiry bit): a field added to Input but
// not to memoKey would make the memo answer for the wrong input.
func TestMemoKeyCoversEveryInputField(t *testing.T) {
	m := newTestDecider(t, "").active.Load().memo
	base, _ := m.key(nil, realisticInput())
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
		key, _ := m.key(nil, in)
		// now_ns counts only through its comparison with expires_at; the
		// shipped policies read neither the address nor the key id, nor a
		// param named "added" (the params have their own test below).
		unread := path == "Input.NowNS" || path == "Input.Request.Params" ||
			path == "Input.Request.RemoteIP" || path == "Input.Key.ID"
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
		{map[string]string{"uids": "mark@docs,anna@other", "namespace": "docs", "detector": "normal"}, true},
		// a namespace the key owns as well: its membership is kept, not its name
		{map[string]string{"uids": "mark@docs,anna@team", "namespace": "docs", "detector": "normal"}, false},
		{map[string]string{"uids": "mark@docs,anna", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,all", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs,", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uid": "mark@docs,anna@docs", "namespace": "docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "team ", "detector": "normal"}, false},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "other", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "detector": "normal"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "namespaces": "docs"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "pids": "p1"}, true},
		{map[string]string{"uids": "mark@docs,anna@docs", "namespace": "docs", "pids": " "}, true},
	} {
		in := realisticInput()
		in.Request.Params = c.params
		key, _ := m.key(nil, in)
		if changed := !bytes.Equal(key, base); changed != c.changes {
			t.Errorf("params %v: memo key changed = %t, want %t", c.params, changed, c.changes)
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
	m := newTestDecider(t, "").active.Load().memo
	decide := func(in *Input) (Decision, []byte) {
		rs, err := plain.Eval(ctx, rego.EvalParsedInput(in.Value()))
		if err != nil || len(rs) != 1 {
			t.Fatalf("plain evaluation: %v %v", rs, err)
		}
		key, _ := m.key(nil, in)
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

// TestMemoForeignNamespacesShareAnEntry: calls naming namespaces the key
// does not own, whatever the names, share one memo entry, as calls naming
// other namespaces it owns do; each decision is OPA's plain evaluation's.
func TestMemoForeignNamespacesShareAnEntry(t *testing.T) {
	d := newTestDecider(t, "")
	p := d.active.Load()
	plain := plainQuery(t, "")
	ctx := context.Background()
	whole := func() int { // whole decisions (denials are kept under their rank's key too)
		n := 0
		for _, gen := range []map[string]Decision{p.memo.entries, p.memo.older} {
			for k := range gen {
				if k[0] == 0 {
					n++
				}
			}
		}
		return n
	}
	streams := []struct {
		name   string
		params func(i int) map[string]string
		reason string
	}{
		{"namespace", func(i int) map[string]string {
			return map[string]string{"uids": "mark@docs", "namespace": fmt.Sprintf(" ns%d", i)}
		}, "namespace_not_owned"},
		{"uids", func(i int) map[string]string {
			return map[string]string{"uids": fmt.Sprintf("mark@docs,anna@ns%d", i), "namespace": "docs"}
		}, "namespace_not_owned"},
		{"namespaces", func(i int) map[string]string {
			return map[string]string{"uids": "all", "namespace": "team", "namespaces": fmt.Sprintf("docs,ns%d", i)}
		}, "namespace_not_owned"},
		{"owned", func(i int) map[string]string {
			return map[string]string{"uids": fmt.Sprintf("u%d@%s", i, []string{"docs", "team"}[i%2]), "namespace": []string{"team", "docs"}[i%2]}
		}, "ok"},
	}
	for _, s := range streams {
		before := whole()
		for i := range 20 {
			in := realisticInput()
			in.Request.Params = s.params(i)
			got, want := d.Decide(ctx, in), plainDecision(t, plain, in)
			if !reflect.DeepEqual(got, want) || got.Reason != s.reason {
				t.Fatalf("%s %d: Decide = %s, plain evaluation = %s, want %s", s.name, i, got, want, s.reason)
			}
		}
		if n := whole() - before; n != 1 {
			t.Errorf("%s: %d memo entries for 20 calls, want 1", s.name, n)
		}
	}
	// The same names, for a key that owns them: another entry, allowed.
	in := realisticInput()
	in.Request.Params = streams[0].params(3)
	in.Key.Namespaces = []string{"docs", "ns3"}
	if got := d.Decide(ctx, in); !got.Allow {
		t.Fatalf("a key owning ns3: %s", got)
	}
}
