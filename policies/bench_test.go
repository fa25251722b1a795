package policies

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Run: go test ./policies/ -run '^$' -bench . -benchtime 3000x -count 3
//
// Each benchmark times every operation and reports the median (p50-ns)
// and 90th percentile (p90-ns) next to Go's mean ns/op and allocs/op.

// percentile sorts samples and returns the q-quantile in nanoseconds.
func percentile(samples []time.Duration, q float64) float64 {
	slices.Sort(samples)
	return float64(samples[int(q*float64(len(samples)-1))].Nanoseconds())
}

func reportLatency(b *testing.B, prefix string, samples []time.Duration) {
	b.ReportMetric(percentile(samples, 0.5), prefix+"p50-ns")
	b.ReportMetric(percentile(samples, 0.9), prefix+"p90-ns")
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// is less inflated by other processes than wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// uncachedDecider is a decider for the shipped policies with its memo and
// rule cache switched off, so that every Decide evaluates the policy.
func uncachedDecider(b *testing.B) *Decider {
	d := newTestDecider(b, "")
	d.active.Load().memo = nil
	d.active.Load().rules = nil
	return d
}

// decideLoop times d.Decide on inputs[i % len(inputs)] for b.N calls,
// fails when want rejects a decision, and reports p50/p90, process CPU per
// call and, when the rule cache is on, how often it answered.
func decideLoop(b *testing.B, d *Decider, inputs []*Input, want func(Decision) bool) {
	p := d.active.Load()
	ctx := context.Background()
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for i := range b.N {
		start := time.Now()
		dec := d.Decide(ctx, inputs[i%len(inputs)])
		samples = append(samples, time.Since(start))
		if !want(dec) {
			b.Fatalf("unexpected decision: %s", dec)
		}
	}
	b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	reportLatency(b, "", samples)
	if p.rules != nil {
		hits, misses := p.rules.hits.Load(), p.rules.misses.Load()
		b.ReportMetric(float64(hits)/float64(max(hits+misses, 1)), "rule-hit-ratio")
	}
}

func allowed(dec Decision) bool { return dec.Allow }

// decideStream decides a stream of realistic inputs in which every request
// names another uid (same namespace) and the signature age cycles through
// 0-4 s.
func decideStream(b *testing.B, d *Decider) {
	ins := make([]*Input, b.N)
	for i := range ins {
		in := realisticInput()
		in.Request.Params["uids"] = fmt.Sprintf("user%d@docs,anna@docs", i)
		in.Auth.Signature.AgeS = int64(i % 5)
		ins[i] = in
	}
	decideLoop(b, d, ins, allowed)
}

// BenchmarkDecideNewUids is the decider as the guard runs it (memo on) on
// a stream where every request names another uid: the
// memo, which keys on the namespaces the uids name, answers.
func BenchmarkDecideNewUids(b *testing.B) {
	decideStream(b, newTestDecider(b, ""))
}

// BenchmarkDecideUnique is the same stream with the memo off: every
// decision is an OPA evaluation, the values of the rules that do not read
// the uids (limits, scopes, routes) taken from the rule cache.
func BenchmarkDecideUnique(b *testing.B) {
	d := newTestDecider(b, "")
	d.active.Load().memo = nil
	decideStream(b, d)
}

// BenchmarkDecide is one prepared decision on a realistic input, including
// the conversion of the Go input to an OPA value, without memo or rule
// cache: what the policies themselves cost.
func BenchmarkDecide(b *testing.B) {
	decideLoop(b, uncachedDecider(b), []*Input{realisticInput()}, allowed)
}

// BenchmarkDecideCached is BenchmarkDecide with the memo on: the same
// input every time, so every decision but the first is a memo hit (the
// memo key is built from the whole input on every call).
func BenchmarkDecideCached(b *testing.B) {
	d := newTestDecider(b, "")
	if d.active.Load().memo == nil {
		b.Fatal("no memo")
	}
	decideLoop(b, d, []*Input{realisticInput()}, allowed)
}

// BenchmarkDecideDenied is a prepared denied decision without memo or rule
// cache: a foreign namespace, so every deny set up to the namespaces' is
// evaluated.
func BenchmarkDecideDenied(b *testing.B) {
	in := realisticInput()
	in.Request.Params["uids"] = "mark@docs,eve@other"
	decideLoop(b, uncachedDecider(b), []*Input{in}, func(dec Decision) bool { return dec.Reason == "namespace_not_owned" })
}

// editedDecider is a decider for the shipped policies with a comment added
// to routes.rego, as an operator's edited policy set.
func editedDecider(b *testing.B) *Decider {
	dir := b.TempDir()
	if err := os.CopyFS(dir, EmbeddedFS()); err != nil {
		b.Fatal(err)
	}
	routes := filepath.Join(dir, "facegate", "routes", "routes.rego")
	src, err := os.ReadFile(routes)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(routes, append(src, "\n# edited\n"...), 0o644); err != nil {
		b.Fatal(err)
	}
	return newTestDecider(b, dir)
}

// BenchmarkDecideEdited is an allowed decision with edited policies, as
// deployed, on the same input every time.
func BenchmarkDecideEdited(b *testing.B) {
	decideLoop(b, editedDecider(b), []*Input{realisticInput()}, allowed)
}

// BenchmarkDecideEditedNewUids is the new-uid stream of DecideNewUids with
// edited policies, as deployed.
func BenchmarkDecideEditedNewUids(b *testing.B) {
	decideStream(b, editedDecider(b))
}

// BenchmarkDecideEditedUnique is that stream with the memo off.
func BenchmarkDecideEditedUnique(b *testing.B) {
	d := editedDecider(b)
	d.active.Load().memo = nil
	decideStream(b, d)
}

// deniedStream are denied inputs that all differ: guessed key ids from
// many addresses, and a known key naming foreign namespaces for new uids.
func deniedStream(n int) []*Input {
	ins := make([]*Input, n)
	for i := range ins {
		in := realisticInput()
		in.Request.RemoteIP = fmt.Sprintf("198.51.100.%d", i%250)
		if i%2 == 0 {
			in.Key = KeyInput{ID: fmt.Sprintf("fg_live_guess%d", i)}
			in.Request.Params["api_key"] = in.Key.ID
		} else {
			in.Request.Params["uids"] = fmt.Sprintf("user%d@other,anna@docs", i)
		}
		ins[i] = in
	}
	return ins
}

func denied(dec Decision) bool {
	return dec.Reason == "key_not_found" || dec.Reason == "namespace_not_owned"
}

// BenchmarkDecideDeniedStream is the decider as deployed on deniedStream.
func BenchmarkDecideDeniedStream(b *testing.B) {
	decideLoop(b, newTestDecider(b, ""), deniedStream(b.N), denied)
}

// BenchmarkDecideDeniedVaried is the decider as deployed on guessed key ids
// that each send another origin and namespace, which the decision reads:
// the decision memo misses, the key_not_found rank answers (denials.go).
func BenchmarkDecideDeniedVaried(b *testing.B) {
	ins := make([]*Input, b.N)
	for i := range ins {
		in := realisticInput()
		in.Key = KeyInput{ID: fmt.Sprintf("fg_live_guess%d", i)}
		in.Request.Origin = fmt.Sprintf("https://%d.example", i)
		in.Request.Params["namespace"] = fmt.Sprintf("ns%d", i)
		ins[i] = in
	}
	decideLoop(b, newTestDecider(b, ""), ins, func(dec Decision) bool { return dec.Reason == "key_not_found" })
}

// BenchmarkDecideDeniedUnique is that stream with the memo off.
func BenchmarkDecideDeniedUnique(b *testing.B) {
	d := newTestDecider(b, "")
	d.active.Load().memo = nil
	decideLoop(b, d, deniedStream(b.N), denied)
}

// uncachedDenials are streams of denials an attacker can send, each call
// differing in a value the rules that deny read (a route, a path, a
// namespace's name), one stream per denial rank reached. With the memo off
// every call is evaluated; as deployed, the unknown routes, the proxied
// paths and the wrong secrets are answered by their rank's key (up to it
// the route is only looked up in the route table, and the namespace is not
// read) and the foreign namespaces by the memo (which keeps whether the key
// owns a name, not the name).
var uncachedDenials = []struct {
	reason string
	input  func(i int) *Input
}{
	{"route_unknown", func(i int) *Input { // no key, an API route that does not exist
		in := realisticInput()
		in.Request.Route = fmt.Sprintf("faces/x%d", i)
		in.Key, in.Auth = KeyInput{ID: fmt.Sprintf("guess%d", i)}, AuthInput{}
		in.Schema = SchemaResult{Errors: []SchemaError{{Kind: KindUnknownRoute, Message: "unknown method"}}}
		return in
	}},
	{"key_not_found", func(i int) *Input { // a proxied upstream's path (the route), no key
		in := realisticInput()
		in.Request.Proxied, in.Request.Route, in.Request.Method = true, fmt.Sprintf("/v1/items/%d", i), "GET"
		in.Key, in.Auth = KeyInput{}, AuthInput{}
		return in
	}},
	{"secret_invalid", func(i int) *Input { // a known key, a wrong secret, another namespace each call
		in := realisticInput()
		in.Auth = AuthInput{Mode: "secret"}
		in.Request.Params["namespace"] = fmt.Sprintf("ns%d", i)
		return in
	}},
	{"namespace_not_owned", func(i int) *Input { // a valid key naming new namespaces
		in := realisticInput()
		in.Request.Params["namespace"] = fmt.Sprintf("ns%d", i)
		in.Request.Params["uids"] = fmt.Sprintf("a@ns%d", i)
		return in
	}},
}

// BenchmarkDecideDeniedRank decides each stream of uncachedDenials with the
// memo off: how a memo miss is decided when deployed.
func BenchmarkDecideDeniedRank(b *testing.B) { benchmarkUncachedDenials(b, false) }

// BenchmarkDecideDeployedRank decides those streams as deployed (memo on).
func BenchmarkDecideDeployedRank(b *testing.B) { benchmarkUncachedDenials(b, true) }

func benchmarkUncachedDenials(b *testing.B, memo bool) {
	for _, tc := range uncachedDenials {
		b.Run(tc.reason, func(b *testing.B) {
			d := newTestDecider(b, "")
			if !memo {
				d.active.Load().memo = nil
			}
			ins := make([]*Input, b.N)
			for i := range ins {
				ins[i] = tc.input(i)
			}
			decideLoop(b, d, ins, func(dec Decision) bool { return dec.Reason == tc.reason })
		})
	}
}

// BenchmarkDecideUnprepared evaluates the same compiled policy without a
// prepared query: rego.New(...).Eval per call (the query is parsed,
// compiled and planned every time).
func BenchmarkDecideUnprepared(b *testing.B) {
	c := compiledPolicies(b)
	in := realisticInput()
	ctx := context.Background()
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := rego.New(rego.Query(Query), rego.Compiler(c), rego.ParsedInput(in.Value())).Eval(ctx); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
	}
	reportLatency(b, "", samples)
}

// BenchmarkPreparedVsUnprepared interleaves both paths in one loop so that
// they see the same machine load, and reports their p50s and ratio.
func BenchmarkPreparedVsUnprepared(b *testing.B) {
	d := uncachedDecider(b)
	c := compiledPolicies(b)
	in := realisticInput()
	ctx := context.Background()
	prep := make([]time.Duration, 0, b.N)
	unprep := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		d.Decide(ctx, in)
		prep = append(prep, time.Since(start))
		start = time.Now()
		if _, err := rego.New(rego.Query(Query), rego.Compiler(c), rego.ParsedInput(in.Value())).Eval(ctx); err != nil {
			b.Fatal(err)
		}
		unprep = append(unprep, time.Since(start))
	}
	reportLatency(b, "prepared-", prep)
	reportLatency(b, "unprepared-", unprep)
	b.ReportMetric(percentile(unprep, 0.5)/percentile(prep, 0.5), "unprepared/prepared")
}

// BenchmarkInputValue is the conversion of the realistic Go input to an
// OPA value, which every uncached decision pays before evaluation starts.
func BenchmarkInputValue(b *testing.B) {
	in := realisticInput()
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if in.Value() == nil {
			b.Fatal("nil value")
		}
		samples = append(samples, time.Since(start))
	}
	reportLatency(b, "", samples)
}

// BenchmarkOPAFloor is the least any prepared OPA query costs on this
// machine, for scale: a one-expression rule over the realistic input,
// prepared once and evaluated with the same options as Decide. "with-input"
// includes converting the realistic input (as Decide must); "query" is the
// evaluation of an input converted once.
func BenchmarkOPAFloor(b *testing.B) {
	ctx := context.Background()
	q, err := rego.New(rego.Query("data.floor.allow"), rego.Module("floor.rego",
		"package floor\n\nallow if input.request.method == \"POST\"\n")).PrepareForEval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	in := realisticInput()
	converted := in.Value()
	withInput := make([]time.Duration, 0, b.N)
	query := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rs, err := q.Eval(ctx, rego.EvalParsedInput(in.Value()), rego.EvalMetrics(noMetrics))
		withInput = append(withInput, time.Since(start))
		if err != nil || !rs.Allowed() {
			b.Fatalf("floor query: %v %v", rs, err)
		}
		start = time.Now()
		rs, err = q.Eval(ctx, rego.EvalParsedInput(converted), rego.EvalMetrics(noMetrics))
		query = append(query, time.Since(start))
		if err != nil || !rs.Allowed() {
			b.Fatalf("floor query: %v %v", rs, err)
		}
	}
	reportLatency(b, "with-input-", withInput)
	reportLatency(b, "query-", query)
}

// BenchmarkValidate is the JSON Schema check of a realistic recognize call,
// without the result cache (what a call with new params costs).
func BenchmarkValidate(b *testing.B) {
	v := newTestValidator(b)
	benchValidate(b, v.validate)
}

// BenchmarkValidateCached is Validate on params it has seen before.
func BenchmarkValidateCached(b *testing.B) {
	benchValidate(b, newTestValidator(b).Validate)
}

func benchValidate(b *testing.B, validate func(string, map[string]string) SchemaResult) {
	params := realisticInput().Request.Params
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if r := validate("faces/recognize", params); !r.Valid {
			b.Fatalf("invalid: %+v", r)
		}
		samples = append(samples, time.Since(start))
	}
	reportLatency(b, "", samples)
}

// compiledPolicies is the embedded policy set, strictly compiled as the
// decider compiles it.
func compiledPolicies(tb testing.TB) *ast.Compiler {
	tb.Helper()
	files, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil {
		tb.Fatal(err)
	}
	mods, err := parseModules(files)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := compileStrict(mods)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkNewDecider is loading the embedded policy set: strict compile,
// prepare, and the analysis of what it reads (memo keys, denial ranks).
func BenchmarkNewDecider(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := NewDecider(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecideOverridesNewNamespaces is the decider as deployed (memo
// on) for a key that owns every namespace, with the guard bench's three
// limit overrides, naming another namespace every call: allowed, and after
// the first call a memo hit (the memo keeps whether the key owns a name,
// not the name; it was a miss every call when the key held the name).
func BenchmarkDecideOverridesNewNamespaces(b *testing.B) {
	ins := make([]*Input, b.N)
	for i := range ins {
		in := realisticInput()
		in.Key.Namespaces, in.Key.Tier = []string{"*"}, "unlimited"
		in.Key.Limits = map[string]LimitOverride{
			"concurrency": {Kind: "concurrency", Count: 10_000},
			"key-rate":    {Kind: "rate", Rate: 1e9, PerS: 1, Burst: 1_000_000_000},
			"quota":       {Kind: "quota", Count: 1_000_000_000, PerS: 3600},
		}
		in.Request.Params["namespace"] = fmt.Sprintf("ns%d", i)
		in.Request.Params["uids"] = fmt.Sprintf("a@ns%d", i)
		ins[i] = in
	}
	decideLoop(b, newTestDecider(b, ""), ins, allowed)
}
