package policies

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// Edits of the shipped policies, each appended to routes.rego (which
// imports errors), and what the memo must make of them.
var policyEdits = []struct {
	name, rego string
	memo       bool
	raw        []string // params the key must hold as sent
	shape      []string // params the key may hold by their list shape
	member     []string // params whose names the key may replace by their membership in key.namespaces (all of them when given)
}{
	{"shipped", "", true, nil, []string{"uids", "uid", "pids"}, []string{"namespace", "namespaces", "uids", "uid", "pids"}},
	{"reads remote_ip", `deny contains errors.deny(10, 403, 307, "blocked address", "address_blocked") if {
	input.request.remote_ip == "203.0.113.7"
}`, true, nil, []string{"uids"}, nil},
	{"clock test with a constant", `deny contains errors.deny(10, 403, 307, "switched off", "switched_off") if {
	input.now_ns >= 1800000001000000000
}`, true, nil, []string{"uids"}, nil},
	{"a uid by name", `deny contains errors.deny(10, 403, 307, "blocked uid", "uid_blocked") if {
	some u in split(input.request.params.uids, ",")
	trim_space(u) == "eve@other"
}`, true, []string{"uids"}, []string{"uid"}, nil},
	{"counts uids", `deny contains errors.deny(10, 403, 307, "too many uids", "uids_many") if {
	count(split(input.request.params.uids, ",")) > 1
}`, true, []string{"uids"}, []string{"uid"}, nil},
	{"uid names through a set", `names contains n if {
	some u in split(input.request.params.uids, ",")
	n := trim_space(u)
}

deny contains errors.deny(10, 403, 307, "two names", "uids_two") if {
	count(names) == 2
}`, true, []string{"uids"}, []string{"uid"}, nil},
	{"the namespace's position", `deny contains errors.deny(10, 403, 307, "short name", "uid_short") if {
	some u in split(input.request.params.uids, ",")
	indexof(trim_space(u), "@") == 1
}`, true, []string{"uids"}, []string{"uid"}, nil},
	{"an array built from a set of uids", `names contains n if {
	some u in split(input.request.params.uids, ",")
	n := trim_space(u)
}

deny contains errors.deny(10, 403, 307, "two names", "uids_two") if {
	count([1 | some n in names; contains(n, "@")]) == 2
}`, true, []string{"uids"}, []string{"uid"}, nil},
	{"a param through a function", `param(name) := input.request.params[name]

deny contains errors.deny(10, 403, 307, "aggressive", "detector_refused") if {
	param("detector") == "aggressive"
}`, true, []string{"detector"}, []string{"uids", "uid"}, nil},
	{"the clock through a function", `before(t) if input.now_ns < t

deny contains errors.deny(10, 403, 307, "early", "early") if {
	before(input.key.expires_at)
	before(input.request.images)
}`, true, nil, []string{"uids"}, nil},
	{"other params by name", `deny contains errors.deny(10, 403, 307, "aggressive", "detector_refused") if {
	input.request.params.detector == "aggressive"
}`, true, []string{"detector"}, []string{"uids"}, nil},
	{"whole params", `deny contains errors.deny(10, 403, 307, "too many params", "params_many") if {
	count(input.request.params) > 4
}`, true, nil, nil, nil},
	{"whole input", `deny contains errors.deny(10, 403, 307, "too many fields", "input_too_large") if {
	count(input) > 5
}`, false, nil, nil, nil},
	{"dynamic ref", `deny contains errors.deny(10, 403, 307, "flagged", "flagged") if {
	some name in object.keys(input.request.params)
	input[name] == true
}`, false, nil, nil, nil},
	{"clock arithmetic", `deny contains errors.deny(10, 403, 307, "stale", "stale_key") if {
	input.now_ns - input.key.expires_at > 1000000000
	input.key.expires_at > 0
}`, false, nil, nil, nil},
	{"the clock", `deny contains errors.deny(10, 403, 307, "late", "late") if {
	time.now_ns() > 0
	input.request.route == "faces/train"
}`, false, nil, nil, nil},
	{"a namespace by name", `deny contains errors.deny(10, 403, 307, "closed", "namespace_closed") if {
	trim_space(input.request.params.namespace) == "archive"
}`, true, []string{"namespace"}, []string{"uids"}, []string{"uids", "uid", "pids", "namespaces"}},
	{"a uid's namespace by name", `deny contains errors.deny(10, 403, 307, "closed", "namespace_closed") if {
	some u in split(input.request.params.uids, ",")
	item := trim_space(u)
	i := indexof(item, "@")
	i >= 0
	substring(item, i + 1, -1) == "archive"
}`, true, nil, []string{"uids", "uid"}, []string{"uid", "pids", "namespace", "namespaces"}},
	{"a namespace tested against another list", `deny contains errors.deny(10, 403, 307, "not a scope", "namespace_scope") if {
	not trim_space(input.request.params.namespace) in input.key.scopes
}`, true, []string{"namespace"}, []string{"uids"}, []string{"uids", "uid", "pids", "namespaces"}},
	{"namespaces owned beyond the key's", `owned := array.concat(input.key.namespaces, ["public"])

deny contains errors.deny(10, 403, 307, "not shared", "namespace_unshared") if {
	ns := trim_space(input.request.params.namespace)
	ns != ""
	not ns in owned
}`, true, []string{"namespace"}, []string{"uids"}, []string{"uids", "uid", "pids", "namespaces"}},
}

// editedSet writes the shipped policies with edit appended to routes.rego
// to a temp dir ("" for the shipped set).
func editedSet(t *testing.T, edit string) string {
	t.Helper()
	if edit == "" {
		return ""
	}
	dir := copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "routes", "routes.rego"), "\n"+edit+"\n")
	return dir
}

// TestFindReads: what the analysis finds each policy set reads.
func TestFindReads(t *testing.T) {
	for _, tc := range policyEdits {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecider(t, editedSet(t, tc.rego))
			p := d.active.Load()
			if (p.memo != nil) != tc.memo {
				t.Fatalf("memo = %t, want %t", p.memo != nil, tc.memo)
			}
			if !tc.memo {
				return
			}
			rs := p.reads
			for _, name := range tc.raw {
				if shape, read := rs.params[name]; !read || shape || rs.members[name] {
					t.Errorf("param %s: read %t, by shape %t, by membership %t; want read as sent", name, read, shape, rs.members[name])
				}
			}
			for _, name := range tc.member {
				if !rs.members[name] {
					t.Errorf("param %s not keyed by its membership in key.namespaces", name)
				}
			}
			for name, member := range rs.members {
				if tc.member != nil && member && !slices.Contains(tc.member, name) {
					t.Errorf("param %s keyed by its membership in key.namespaces", name)
				}
			}
			for _, name := range tc.shape {
				if !rs.params[name] {
					t.Errorf("param %s not keyed by its shape (%s)", name, rs.why[name])
				}
			}
			if tc.name == "the clock through a function" && (!rs.clocks["key.expires_at"] || !rs.clocks["request.images"]) {
				t.Errorf("clock comparisons %v, want key.expires_at and request.images", rs.clocks)
			}
			if tc.name == "shipped" {
				if !rs.clocks["key.expires_at"] || len(rs.clocks) != 1 {
					t.Errorf("clock comparisons %v, want key.expires_at", rs.clocks)
				}
				for _, unread := range []string{"request.remote_ip", "key.id", "now_ns"} {
					if rs.paths[unread] {
						t.Errorf("%s read", unread)
					}
				}
			}
		})
	}
}

// randomInput is the realistic input with one of pairs of variations and
// random values of fields some policy sets read and others do not (address,
// key id, uids, other params, the clock), drawn from small pools so that
// inputs repeat.
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
		if in.Request.Params == nil {
			in.Request.Params = map[string]string{}
		}
		if rng.IntN(2) == 0 {
			in.Request.Params["uids"] = []string{"zoe@docs", "eve@other", "mark@team,anna", "a@docs,b@docs", "a@docs,a@docs",
				"eve@other,x@docs", "all", "", " , ", "ab@docs", "b@docs@x", "a@archive", "b@ team", "c@"}[rng.IntN(14)]
		}
		if rng.IntN(3) == 0 { // namespaces owned or not, by the names or by their membership
			in.Request.Params["namespace"] = []string{"docs", "team", " docs ", "other", "archive", "", " ", "*", "docs@x", "public"}[rng.IntN(10)]
		}
		if rng.IntN(4) == 0 {
			in.Request.Params["namespaces"] = []string{"docs,team", "docs, other", "archive", " , ", "*", "team,"}[rng.IntN(6)]
		}
		if rng.IntN(5) == 0 {
			in.Key.Namespaces = []string{"docs", "archive"}
		}
		if rng.IntN(4) == 0 {
			in.Request.Params["api_secret"] = fmt.Sprint(rng.IntN(9))
		}
		if rng.IntN(2) == 0 { // params no shipped policy reads
			in.Request.Params["urls"] = fmt.Sprintf("https://example.com/%d.jpg", rng.IntN(50))
			in.Request.Params["detector"] = []string{"normal", "aggressive"}[rng.IntN(2)]
		}
		return in
	}
}

// TestMemoMatchesPlainEvaluation decides random inputs through Decide (memo
// on) and compares every decision with OPA's plain
// evaluation of the same input, for the shipped policies and every edited
// set above: those that read what the shipped set does not (the key must
// hold it) and those that get no memo.
func TestMemoMatchesPlainEvaluation(t *testing.T) {
	for _, tc := range policyEdits {
		t.Run(tc.name, func(t *testing.T) {
			dir := editedSet(t, tc.rego)
			d := newTestDecider(t, dir)
			p := d.active.Load()
			plain := plainQuery(t, dir)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(3, uint64(len(tc.name))))
			vs := variations()
			pairs := make([][2]func(*Input), 60)
			for i := range pairs {
				pairs[i] = [2]func(*Input){vs[rng.IntN(len(vs))], vs[rng.IntN(len(vs))]}
			}
			reasons := map[string]int{}
			const n = 600
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
				kept := 0 // whole decisions (denials are kept under their rank's key too)
				for _, gen := range []map[string]Decision{p.memo.entries, p.memo.older} {
					for k := range gen {
						if k[0] == 0 {
							kept++
						}
					}
				}
				t.Logf("%d inputs, %d memoized, reasons %v", n, kept, reasons)
				if kept > n*3/4 && !p.reads.paths["request.params"] { // urls and secrets vary
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
// set reads. The shipped set does not read the address or a uid's name; a
// set that reads them keys on them.
func TestMemoKeyFollowsPolicy(t *testing.T) {
	key := func(d *Decider, in *Input) []byte {
		k, _ := d.active.Load().memo.key(nil, in)
		return k
	}
	shipped := newTestDecider(t, "")
	address := newTestDecider(t, editedSet(t, policyEdits[1].rego))
	uid := newTestDecider(t, editedSet(t, policyEdits[3].rego))
	a, b, c := realisticInput(), realisticInput(), realisticInput()
	b.Request.RemoteIP = "203.0.113.7"
	c.Request.Params["uids"] = "eve@other,anna@docs"
	a.Request.Params["uids"] = "zoe@other,anna@docs"
	b.Request.Params["uids"] = a.Request.Params["uids"]
	if !bytes.Equal(key(shipped, a), key(shipped, b)) || !bytes.Equal(key(shipped, a), key(shipped, c)) {
		t.Error("shipped policies: the address or a uid's name changed the key")
	}
	if bytes.Equal(key(address, a), key(address, b)) {
		t.Error("a policy reading remote_ip: the address did not change the key")
	}
	if bytes.Equal(key(uid, a), key(uid, c)) {
		t.Error("a policy reading a uid's name: the name did not change the key")
	}
	ctx := context.Background()
	for _, step := range []struct {
		d      *Decider
		in     *Input
		reason string
	}{{address, a, "namespace_not_owned"}, {address, b, "address_blocked"}, {uid, a, "namespace_not_owned"}, {uid, c, "uid_blocked"}} {
		if dec := step.d.Decide(ctx, step.in); dec.Reason != step.reason {
			t.Errorf("got %s, want %s", dec, step.reason)
		}
	}
	if !strings.Contains(uid.active.Load().reads.why["uids"], "eve@other") {
		t.Errorf("why uids is raw: %q", uid.active.Load().reads.why["uids"])
	}
}

// TestFindReadsObjectGet: object.get(input, ["a", "b"], default) reads
// input.a.b as the reference would, and a param through it by name; any
// other use of the whole input (a path computed at evaluation) leaves the
// set without memo.
func TestFindReadsObjectGet(t *testing.T) {
	rs := newTestDecider(t, editedSet(t, `deny contains errors.deny(10, 403, 307, "blocked", "address_blocked") if {
	object.get(input, ["request", "remote_ip"], "") == "203.0.113.7"
	not object.get(input, ["request", "params", "uid"], "") in {"x"}
}`)).active.Load().reads
	if rs == nil || !rs.memo || !rs.paths["request.remote_ip"] || rs.paths[""] {
		t.Fatalf("object.get of a constant path: reads %+v, want request.remote_ip and a memo", rs)
	}
	if shape, read := rs.params["uid"]; !read || shape {
		t.Errorf("param uid through object.get: read %t, by shape %t; want read as sent", read, shape)
	}
	d := newTestDecider(t, editedSet(t, `deny contains errors.deny(10, 403, 307, "blocked", "address_blocked") if {
	some k in ["request", "key"]
	object.get(input, [k, "id"], "") == "x"
}`))
	if d.active.Load().memo != nil {
		t.Error("object.get of a computed path kept the memo")
	}
}
