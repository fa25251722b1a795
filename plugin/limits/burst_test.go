package limits

import (
	"sync"
	"sync/atomic"
	"testing"
)

// burst fires n goroutines at Acquire at once (a frozen clock) and returns
// how many were admitted and the grants (unreleased).
func burst(l *Limiter, subject string, n int, specs func(i int) []Spec) (int, []Grant) {
	var admitted atomic.Int64
	var mu sync.Mutex
	var grants []Grant
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			g, d := l.Acquire(subject, specs(i))
			if !d.Denied() {
				admitted.Add(1)
				mu.Lock()
				grants = append(grants, g)
				mu.Unlock()
			}
		}()
	}
	start.Done()
	done.Wait()
	return int(admitted.Load()), grants
}

// TestBurstExact: under parallel load, exactly the allowed number pass.
// Run with -race.
func TestBurstExact(t *testing.T) {
	const n = 1000
	tests := []struct {
		name  string
		specs func(i int) []Spec
		want  int
	}{
		{"rate burst 50", func(int) []Spec {
			return []Spec{{Name: "r", Kind: KindRate, Rate: 10, PerS: 1, Burst: 50}}
		}, 50},
		{"rate with cost 2", func(int) []Spec {
			return []Spec{{Name: "r", Kind: KindRate, Rate: 10, PerS: 1, Burst: 51, Cost: 2}}
		}, 25},
		{"quota 100 at 3 images", func(int) []Spec {
			return []Spec{{Name: "q", Kind: KindQuota, Count: 100, PerS: 3600, Cost: 3}}
		}, 33},
		{"concurrency 7 held", func(int) []Spec {
			return []Spec{{Name: "c", Kind: KindConcurrency, Count: 7}}
		}, 7},
		{"rate, quota and concurrency together", func(int) []Spec {
			return []Spec{
				{Name: "r", Kind: KindRate, Rate: 1, PerS: 1, Burst: 40},
				{Name: "q", Kind: KindQuota, Count: 90, PerS: 3600, Cost: 3},
				{Name: "c", Kind: KindConcurrency, Count: 35},
			}
		}, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(newFakeClock(hourStart), 10_000)
			got, grants := burst(l, "k", n, tt.specs)
			if got != tt.want {
				t.Fatalf("%d admitted, want exactly %d", got, tt.want)
			}
			for _, g := range grants {
				g.Release()
			}
		})
	}
}

// TestBurstQuotaMixedCosts: with costs 1..4, the units charged never exceed
// the quota, the usage block agrees with the sum of admitted costs, and the
// quota is used to the last unit a remaining request could take.
func TestBurstQuotaMixedCosts(t *testing.T) {
	l := New(newFakeClock(hourStart), 10_000)
	var charged atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cost := 1 + i%4
			if _, d := l.Acquire("k", []Spec{{Name: "q", Kind: KindQuota, Count: 997, PerS: 3600, Cost: cost}}); !d.Denied() {
				charged.Add(int64(cost))
			}
		}()
	}
	wg.Wait()
	u := l.Usage("k", []Spec{{Name: "q", Kind: KindQuota, Count: 997, PerS: 3600}})
	if int64(u.Used) != charged.Load() || u.Used > 997 || u.Used < 997-3 {
		t.Fatalf("used %d, charged %d, quota 997", u.Used, charged.Load())
	}
}

// TestBurstReleaseReuse: slots released under load are reused exactly.
func TestBurstReleaseReuse(t *testing.T) {
	l := New(newFakeClock(hourStart), 10_000)
	specs := []Spec{{Name: "c", Kind: KindConcurrency, Count: 5}}
	var maxSeen, inFlight atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				g, d := l.Acquire("k", specs)
				if d.Denied() {
					continue
				}
				cur := inFlight.Add(1)
				for {
					m := maxSeen.Load()
					if cur <= m || maxSeen.CompareAndSwap(m, cur) {
						break
					}
				}
				inFlight.Add(-1)
				g.Release()
			}
		}()
	}
	wg.Wait()
	if maxSeen.Load() > 5 {
		t.Fatalf("%d requests in flight at once, limit 5", maxSeen.Load())
	}
	if got, _ := burst(l, "k", 100, func(int) []Spec { return specs }); got != 5 {
		t.Fatalf("after all releases %d slots free, want 5", got)
	}
}
