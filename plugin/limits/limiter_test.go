package limits

import (
	"net/http"
	"testing"
	"time"
)

// TestRateGCRA steps a GCRA limit (1/s, burst 3) through an injected clock,
// in the manner of throttled's TestRateLimit.
func TestRateGCRA(t *testing.T) {
	clk := newFakeClock(hourStart)
	l := New(clk, 1000)
	specs := []Spec{{Name: "r", Kind: KindRate, Rate: 1, PerS: 1, Burst: 3}}
	steps := []struct {
		at        time.Duration // since start
		allowed   bool
		remaining int
		retry     time.Duration
	}{
		{0, true, 2, 0},
		{0, true, 1, 0},
		{0, true, 0, 0},
		{0, false, 0, time.Second},
		{500 * time.Millisecond, false, 0, 500 * time.Millisecond},
		{time.Second, true, 0, 0},
		{3 * time.Second, true, 1, 0},
		{10 * time.Second, true, 2, 0},
	}
	for i, st := range steps {
		clk.mu.Lock()
		clk.t = hourStart.Add(st.at)
		clk.mu.Unlock()
		g, d := l.Acquire("k", specs)
		if d.Denied() == st.allowed {
			t.Fatalf("step %d at %v: denied=%v, want allowed=%v", i, st.at, d.Denied(), st.allowed)
		}
		if st.allowed && g.Usage.Remaining != st.remaining {
			t.Fatalf("step %d: remaining %d, want %d", i, g.Usage.Remaining, st.remaining)
		}
		if !st.allowed && (d.RetryAfter != st.retry || d.Code != CodeQuota || d.Status != http.StatusTooManyRequests || d.Name != "r") {
			t.Fatalf("step %d: denial %+v, want retry %v", i, d, st.retry)
		}
	}
	g, _ := l.Acquire("other", specs)
	if g.Policy != `"r";q=3;w=3` || g.RateLimit != `"r";r=2;t=1` || g.Usage.Limit != 3 || g.Usage.Used != 1 {
		t.Fatalf("grant = %+v", g)
	}
	if want := hourStart.Add(11 * time.Second); !g.Usage.Reset.Equal(want) {
		t.Fatalf("reset = %v", g.Usage.Reset)
	}
}

func TestQuotaPerImage(t *testing.T) {
	clk := newFakeClock(hourStart)
	l := New(clk, 1000)
	quota := func(cost int) []Spec {
		return []Spec{{Name: "quota", Kind: KindQuota, Count: 10, PerS: 3600, Cost: cost}}
	}
	windowEnd := hourStart.Add(3500 * time.Second)
	steps := []struct {
		advance   time.Duration
		cost      int
		allowed   bool
		used      int
		remaining int
	}{
		{0, 4, true, 4, 6},
		{0, 4, true, 8, 2},
		{0, 4, false, 8, 2},
		{0, 2, true, 10, 0},
		{0, 1, false, 10, 0},
		{0, 0, true, 10, 0}, // calls without images are free
		{3500 * time.Second, 4, true, 4, 6},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		g, d := l.Acquire("k", quota(st.cost))
		u := g.Usage
		if d.Denied() {
			u = d.Usage
			if d.RetryAfter != windowEnd.Sub(clk.Now()) || d.Code != CodeQuota || d.RetryAfterSeconds() != 3500 {
				t.Fatalf("step %d: denial %+v", i, d)
			}
		}
		if d.Denied() == st.allowed || u.Used != st.used || u.Remaining != st.remaining || u.Limit != 10 {
			t.Fatalf("step %d: denied=%v usage=%+v, want allowed=%v used=%d remaining=%d", i, d.Denied(), u, st.allowed, st.used, st.remaining)
		}
	}
	g, _ := l.Acquire("k", quota(1))
	if !g.Usage.Reset.Equal(windowEnd.Add(time.Hour)) {
		t.Fatalf("reset %v, want %v", g.Usage.Reset, windowEnd.Add(time.Hour))
	}
	if g.Policy != `"quota";q=10;w=3600` || g.RateLimit != `"quota";r=5;t=3600` {
		t.Fatalf("headers %q %q", g.Policy, g.RateLimit)
	}
}

func TestConcurrencySlots(t *testing.T) {
	l := New(newFakeClock(hourStart), 1000)
	specs := []Spec{{Name: "inflight", Kind: KindConcurrency, Count: 2}}
	g1, d1 := l.Acquire("k", specs)
	g2, d2 := l.Acquire("k", specs)
	_, d3 := l.Acquire("k", specs)
	if d1.Denied() || d2.Denied() || !d3.Denied() || d3.Code != CodeConcurrency || d3.RetryAfter != time.Second {
		t.Fatalf("denials %+v %+v %+v", d1, d2, d3)
	}
	g1.Release()
	g1.Release() // a second release frees nothing more
	g4, d4 := l.Acquire("k", specs)
	_, d5 := l.Acquire("k", specs)
	if d4.Denied() || !d5.Denied() {
		t.Fatalf("after one release: %+v %+v", d4, d5)
	}
	if _, d := l.Acquire("other", specs); d.Denied() {
		t.Fatal("slots leaked across subjects")
	}
	g2.Release()
	g4.Release()
	Grant{}.Release() // zero grant is a no-op
}

// TestAllOrNothing: when one spec denies, the others are not charged.
func TestAllOrNothing(t *testing.T) {
	l := New(newFakeClock(hourStart), 1000)
	rate := Spec{Name: "rate", Kind: KindRate, Rate: 1, PerS: 60, Burst: 5}
	both := []Spec{rate, {Name: "quota", Kind: KindQuota, Count: 2, PerS: 3600, Cost: 1}, {Name: "c", Kind: KindConcurrency, Count: 100}}
	passed := 0
	for i := 0; i < 6; i++ {
		if g, d := l.Acquire("k", both); !d.Denied() {
			passed++
			g.Release()
		} else if d.Name != "quota" {
			t.Fatalf("denied by %s, want quota", d.Name)
		}
	}
	if passed != 2 {
		t.Fatalf("%d passed, want 2", passed)
	}
	passed = 0
	for i := 0; i < 6; i++ {
		if _, d := l.Acquire("k", []Spec{rate}); !d.Denied() {
			passed++
		}
	}
	if passed != 3 {
		t.Fatalf("rate admitted %d after the quota denials, want 3 (5 burst - 2 charged)", passed)
	}
}

// TestDenialLongestWait: with several refusing specs, the longest wait wins.
func TestDenialLongestWait(t *testing.T) {
	l := New(newFakeClock(hourStart), 1000)
	specs := []Spec{
		{Name: "rate", Kind: KindRate, Rate: 1, PerS: 1, Burst: 1},
		{Name: "quota", Kind: KindQuota, Count: 1, PerS: 3600, Cost: 1},
	}
	l.Acquire("k", specs)
	_, d := l.Acquire("k", specs)
	if !d.Denied() || d.Name != "quota" || d.RetryAfter != 3500*time.Second {
		t.Fatalf("denial %+v", d)
	}
	if d.Policy != `"rate";q=1;w=1, "quota";q=1;w=3600` || d.RateLimit != `"rate";r=0;t=1, "quota";r=0;t=3500` {
		t.Fatalf("denial headers %q %q", d.Policy, d.RateLimit)
	}
}

func TestInvalidSpecs(t *testing.T) {
	tests := []struct {
		name  string
		specs []Spec
	}{
		{"unknown kind", []Spec{{Name: "x", Kind: "window", Count: 1}}},
		{"empty name", []Spec{{Kind: KindQuota, Count: 1, PerS: 60}}},
		{"quoted name", []Spec{{Name: `a"b`, Kind: KindQuota, Count: 1, PerS: 60}}},
		{"zero rate", []Spec{{Name: "r", Kind: KindRate, PerS: 1, Burst: 1}}},
		{"zero burst", []Spec{{Name: "r", Kind: KindRate, Rate: 1, PerS: 1}}},
		{"overflowing span", []Spec{{Name: "r", Kind: KindRate, Rate: 1e-9, PerS: 1e9, Burst: 1 << 30}}},
		{"negative cost", []Spec{{Name: "q", Kind: KindQuota, Count: 1, PerS: 60, Cost: -1}}},
		{"sub-second window", []Spec{{Name: "q", Kind: KindQuota, Count: 1, PerS: 0.5}}},
		{"negative concurrency", []Spec{{Name: "c", Kind: KindConcurrency, Count: -1}}},
		{"duplicate", []Spec{{Name: "q", Kind: KindQuota, Count: 1, PerS: 60}, {Name: "q", Kind: KindQuota, Count: 5, PerS: 60}}},
	}
	l := New(newFakeClock(hourStart), 1000)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := l.Acquire("k", tt.specs)
			if !d.Denied() || d.Kind != KindInvalid || d.Status != http.StatusInternalServerError {
				t.Fatalf("denial %+v", d)
			}
		})
	}
}

func TestUsageDoesNotCharge(t *testing.T) {
	l := New(newFakeClock(hourStart), 1000)
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 3, PerS: 3600, Cost: 1}}
	if u := l.Usage("k", specs); u.Used != 0 || u.Remaining != 3 || u.Limit != 3 {
		t.Fatalf("fresh usage %+v", u)
	}
	l.Acquire("k", specs)
	for i := 0; i < 5; i++ {
		if u := l.Usage("k", specs); u.Used != 1 || u.Remaining != 2 {
			t.Fatalf("usage %+v", u)
		}
	}
	if n, _ := l.Stats(); n != 1 {
		t.Fatalf("Usage created subjects: %d", n)
	}
	rateOnly := []Spec{{Name: "r", Kind: KindRate, Rate: 2, PerS: 1, Burst: 4}}
	if u := l.Usage("k", rateOnly); u.Limit != 4 || u.Remaining != 4 {
		t.Fatalf("rate usage %+v", u)
	}
}

func TestMemoryBounded(t *testing.T) {
	clk := newFakeClock(hourStart)
	l := New(clk, shardCount*2)
	conc := []Spec{{Name: "c", Kind: KindConcurrency, Count: 1}}
	held, d := l.Acquire("busy", conc)
	if d.Denied() {
		t.Fatal(d)
	}
	for i := 0; i < 20_000; i++ {
		l.Acquire(string(rune('a'+i%26))+string(rune(i)), []Spec{{Name: "q", Kind: KindQuota, Count: 5, PerS: 60, Cost: 1}})
	}
	n, evicted := l.Stats()
	if n > shardCount*2+1 || evicted == 0 {
		t.Fatalf("holding %d subjects (evicted %d), bound %d", n, evicted, shardCount*2)
	}
	if _, d := l.Acquire("busy", conc); !d.Denied() {
		t.Fatal("a subject with a request in flight was evicted")
	}
	held.Release()
}

func TestFailedAuth(t *testing.T) {
	clk := newFakeClock(hourStart)
	l := New(clk, 1000)
	for i := 0; i < DefaultFailedAuthMax; i++ {
		if b, _ := l.Blocked("192.0.2.1"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.FailedAuth("192.0.2.1")
	}
	b, retry := l.Blocked("192.0.2.1")
	if !b || retry != 6*time.Second {
		t.Fatalf("after 10 failures: blocked=%v retry=%v", b, retry)
	}
	if b, _ := l.Blocked("192.0.2.2"); b {
		t.Fatal("another address is blocked")
	}
	for i := 0; i < 50; i++ {
		l.FailedAuth("192.0.2.1") // hammering does not extend the block
	}
	clk.Advance(6 * time.Second)
	if b, _ := l.Blocked("192.0.2.1"); b {
		t.Fatal("still blocked after the retry time")
	}
	l.FailedAuth("192.0.2.1")
	if b, _ := l.Blocked("192.0.2.1"); !b {
		t.Fatal("one more failure should block again")
	}
	l.authMax, l.authPer = 2, time.Hour
	l.FailedAuth("key:fg_x")
	if b, _ := l.Blocked("key:fg_x"); b {
		t.Fatal("blocked after 1 of 2")
	}
	l.FailedAuth("key:fg_x")
	if b, retry := l.Blocked("key:fg_x"); !b || retry != 30*time.Minute {
		t.Fatalf("blocked=%v retry=%v", b, retry)
	}
}
