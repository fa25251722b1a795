package limits

import (
	"strconv"
	"sync"
	"testing"
)

// Benchmarks; the baseline is a mutex-protected map counter, the least a
// correct in-memory limiter can cost. Run:
//
//	go test ./plugin/limits -run '^$' -bench . -benchmem -benchtime 200000x

var benchSpecs = []Spec{
	{Name: "key-rate", Kind: KindRate, Rate: 1e9, PerS: 1, Burst: 1 << 20},
	{Name: "quota", Kind: KindQuota, Count: 1 << 40, PerS: 3600, Cost: 2},
}

func BenchmarkBaselineMutexMap(b *testing.B) {
	var mu sync.Mutex
	m := map[string]int{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		mu.Lock()
		m["fg_live_key"]++
		mu.Unlock()
	}
}

func BenchmarkAcquireRateQuota(b *testing.B) {
	l := New(SystemClock{}, 100_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, d := l.Acquire("fg_live_key", benchSpecs); d.Denied() {
			b.Fatal(d)
		}
	}
}

func BenchmarkAcquireWithConcurrency(b *testing.B) {
	l := New(SystemClock{}, 100_000)
	specs := append(append([]Spec{}, benchSpecs...), Spec{Name: "inflight", Kind: KindConcurrency, Count: 1 << 20})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g, d := l.Acquire("fg_live_key", specs)
		if d.Denied() {
			b.Fatal(d)
		}
		g.Release()
	}
}

func BenchmarkAcquireParallel1000Keys(b *testing.B) {
	l := New(SystemClock{}, 100_000)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "fg_live_" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Acquire(keys[i%len(keys)], benchSpecs)
			i++
		}
	})
}

func BenchmarkFailedAuthBlocked(b *testing.B) {
	l := New(SystemClock{}, 100_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Blocked("192.0.2.1")
	}
}
