package policies

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
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
		for i := range memoMaxEntries + 10 {
			m.put([]byte(fmt.Sprint(i)), Decision{Reason: "ok"})
		}
		if n := len(m.entries); n > memoMaxEntries {
			t.Fatalf("%d entries, bound %d", n, memoMaxEntries)
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
		if same := bytes.Equal(key, base); same != (path == "Input.NowNS") {
			t.Errorf("changing %s: memo key unchanged = %t", path, same)
		}
	}
	if len(paths) < 30 {
		t.Fatalf("only %d fields walked", len(paths))
	}
}
