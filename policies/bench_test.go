package policies

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Run: go test -run '^$' -bench . -benchtime 2000x ./policies/
//
// Each benchmark times every operation and reports the median (p50-ns)
// next to Go's mean ns/op and allocs/op.

func p50(samples []time.Duration) float64 {
	slices.Sort(samples)
	return float64(samples[len(samples)/2].Nanoseconds())
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

// BenchmarkDecide is one prepared decision on a realistic input, including
// the conversion of the Go input to an OPA value.
func BenchmarkDecide(b *testing.B) {
	d := newTestDecider(b, "")
	in := realisticInput()
	ctx := context.Background()
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for range b.N {
		start := time.Now()
		dec := d.Decide(ctx, in)
		samples = append(samples, time.Since(start))
		if !dec.Allow {
			b.Fatalf("denied: %s", dec)
		}
	}
	b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(p50(samples), "p50-ns")
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
	b.ReportMetric(p50(samples), "p50-ns")
}

// BenchmarkPreparedVsUnprepared interleaves both paths in one loop so that
// they see the same machine load, and reports their p50s and ratio.
func BenchmarkPreparedVsUnprepared(b *testing.B) {
	d := newTestDecider(b, "")
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
	pp, up := p50(prep), p50(unprep)
	b.ReportMetric(pp, "prepared-p50-ns")
	b.ReportMetric(up, "unprepared-p50-ns")
	b.ReportMetric(up/pp, "unprepared/prepared")
}

// BenchmarkValidate is the JSON Schema check of a realistic recognize call.
func BenchmarkValidate(b *testing.B) {
	v := newTestValidator(b)
	params := realisticInput().Request.Params
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if r := v.Validate("faces/recognize", params); !r.Valid {
			b.Fatalf("invalid: %+v", r)
		}
		samples = append(samples, time.Since(start))
	}
	b.ReportMetric(p50(samples), "p50-ns")
}

// compiledPolicies is the embedded policy set, strictly compiled.
func compiledPolicies(b testing.TB) *ast.Compiler {
	b.Helper()
	files, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil {
		b.Fatal(err)
	}
	mods, err := parseModules(files)
	if err != nil {
		b.Fatal(err)
	}
	c, err := compileStrict(mods)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
