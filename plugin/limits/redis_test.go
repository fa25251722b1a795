package limits

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

func newRedisClient(t testing.TB, addr string) valkey.Client {
	t.Helper()
	c, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		t.Fatalf("connecting to redis: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestRedisSameDecisions runs one random sequence of requests (rate, quota
// and concurrency specs, several subjects, releases, a clock moving in
// steps) through the embedded Limiter and the Redis script, and requires
// the same decision for every request: admitted or not, which kind
// refused, Retry-After, the usage block and the RateLimit fields.
func TestRedisSameDecisions(t *testing.T) {
	srv := redistest.Start(t)
	clk := newFakeClock(hourStart)
	mem := New(clk, 1000)
	red := NewRedis(newRedisClient(t, srv.Addr), clk, "t1:")
	defer red.Close()
	specSets := [][]Spec{
		{{Name: "rate", Kind: KindRate, Rate: 2, PerS: 1, Burst: 4}},
		{{Name: "quota", Kind: KindQuota, Count: 7, PerS: 60, Cost: 2}, {Name: "rate", Kind: KindRate, Rate: 5, PerS: 60, Burst: 3}},
		{{Name: "conc", Kind: KindConcurrency, Count: 2}, {Name: "quota", Kind: KindQuota, Count: 20, PerS: 60, Cost: 1}},
		{{Name: "big", Kind: KindRate, Rate: 1, PerS: 1, Burst: 2, Cost: 3}},
		{{Name: "free", Kind: KindQuota, Count: 3, PerS: 10, Cost: 0}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	type held struct{ m, r Grant }
	var open []held
	admitted, refused := 0, 0
	for i := range 600 {
		switch rng.IntN(4) {
		case 0:
			clk.Advance(time.Duration(rng.IntN(800)) * time.Millisecond)
		case 1:
			if len(open) > 0 {
				j := rng.IntN(len(open))
				open[j].m.Release()
				open[j].r.Release()
				red.flushReleases()
				open = append(open[:j], open[j+1:]...)
			}
		}
		subject := []string{"a", "b", "c"}[rng.IntN(3)]
		specs := specSets[rng.IntN(len(specSets))]
		gm, dm := mem.Acquire(subject, specs)
		gr, dr := red.Acquire(subject, specs)
		if dm.Denied() != dr.Denied() || dm.Kind != dr.Kind || dm.Name != dr.Name || dm.Code != dr.Code ||
			dm.RetryAfterSeconds() != dr.RetryAfterSeconds() {
			t.Fatalf("request %d (%s %v): embedded %+v, redis %+v", i, subject, specs, dm, dr)
		}
		if dm.Denied() {
			refused++
			if dm.Usage != dr.Usage || dm.Policy != dr.Policy || dm.RateLimit != dr.RateLimit {
				t.Fatalf("request %d: refusal state differs:\nembedded %+v\nredis    %+v", i, dm, dr)
			}
			continue
		}
		admitted++
		if !gm.Usage.Reset.Equal(gr.Usage.Reset) || gm.Usage.Used != gr.Usage.Used || gm.Usage.Remaining != gr.Usage.Remaining ||
			gm.Policy != gr.Policy || gm.RateLimit != gr.RateLimit {
			t.Fatalf("request %d: grant differs:\nembedded %+v\nredis    %+v", i, gm, gr)
		}
		open = append(open, held{gm, gr})
	}
	if admitted < 100 || refused < 100 {
		t.Errorf("the sequence admitted %d and refused %d: it does not exercise both", admitted, refused)
	}
	u1 := mem.Usage("a", specSets[1])
	u2, err := red.Usage("a", specSets[1])
	if err != nil || u1.Used != u2.Used || u1.Remaining != u2.Remaining {
		t.Errorf("Usage: embedded %+v, redis %+v (%v)", u1, u2, err)
	}
}

// TestRedisFailedAuthSameDecisions: the failed-authentication rules give
// the same answers on Redis as in memory.
func TestRedisFailedAuthSameDecisions(t *testing.T) {
	srv := redistest.Start(t)
	clk := newFakeClock(hourStart)
	mem := New(clk, 1000)
	red := NewRedis(newRedisClient(t, srv.Addr), clk, "t2:")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		if rng.IntN(5) == 0 {
			clk.Advance(time.Duration(rng.IntN(9000)) * time.Millisecond)
		}
		key, addr := []string{"k1", "k2"}[rng.IntN(2)], []string{"10.0.0.1", "10.0.0.2", "2001:db8::1"}[rng.IntN(3)]
		switch rng.IntN(4) {
		case 0:
			mem.FailedAuth(KeySource(key, addr))
			mem.FailedSource(addr)
			if red.FailedAuth(KeySource(key, addr)) != nil || red.FailedSource(addr) != nil {
				t.Fatal("redis failed")
			}
			dm, rm := mem.KeyFailure(key)
			dr, rr, err := red.KeyFailure(key)
			if err != nil || dm != dr || rm != rr {
				t.Fatalf("step %d KeyFailure: embedded %v %v, redis %v %v (%v)", i, dm, rm, dr, rr, err)
			}
		case 1:
			bm, wm := mem.Blocked(KeySource(key, addr))
			br, wr, err := red.Blocked(KeySource(key, addr))
			if err != nil || bm != br || (wm-wr).Abs() > time.Microsecond {
				t.Fatalf("step %d Blocked: embedded %v %v, redis %v %v (%v)", i, bm, wm, br, wr, err)
			}
		case 3:
			am, awm := mem.SourceBlocked(addr)
			km, kwm := mem.Blocked(KeySource(key, addr))
			lo, err := red.Lockouts(addr, KeySource(key, addr))
			if err != nil || lo.Address != am || lo.Key != km || (lo.AddressRetry-awm).Abs() > time.Microsecond || (lo.KeyRetry-kwm).Abs() > time.Microsecond {
				t.Fatalf("step %d Lockouts: embedded %v %v %v %v, redis %+v (%v)", i, am, awm, km, kwm, lo, err)
			}
			if known, _ := red.KnownSourceBlock(addr); known != am {
				t.Fatalf("step %d: KnownSourceBlock %v after Lockouts found %v", i, known, am)
			}
		case 2:
			bm, wm := mem.SourceBlocked(addr)
			br, wr, err := red.SourceBlocked(addr)
			if err != nil || bm != br || (wm-wr).Abs() > time.Microsecond {
				t.Fatalf("step %d SourceBlocked: embedded %v %v, redis %v %v (%v)", i, bm, wm, br, wr, err)
			}
		}
	}
}

// TestRedisExactUnderConcurrency: 200 concurrent requests from four
// limiters (four nodes) on one Redis against a quota of 37 and a
// concurrency limit: exactly 37 pass.
func TestRedisExactUnderConcurrency(t *testing.T) {
	srv := redistest.Start(t)
	var nodes []*Redis
	for range 4 {
		nodes = append(nodes, NewRedis(newRedisClient(t, srv.Addr), nil, "t3:"))
		defer nodes[len(nodes)-1].Close()
	}
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 37, PerS: 3600, Cost: 1}, {Name: "conc", Kind: KindConcurrency, Count: 1000}}
	var mu sync.Mutex
	passed := map[int]bool{}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, d := nodes[i%4].Acquire("key", specs)
			if d.Denied() {
				if d.Kind != KindQuota || d.Code != CodeQuota {
					t.Errorf("refused by %s (%d)", d.Kind, d.Code)
				}
				return
			}
			defer g.Release()
			mu.Lock()
			passed[g.Usage.Remaining] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, n := range nodes {
		n.Close() // writes the queued releases
	}
	if len(passed) != 37 {
		t.Errorf("%d distinct admissions, want exactly 37", len(passed))
	}
	// Every slot was released.
	g, d := nodes[0].Acquire("key", []Spec{{Name: "conc", Kind: KindConcurrency, Count: 1}})
	if d.Denied() {
		t.Errorf("concurrency slot still held after every release: %+v", d)
	}
	// Nothing is kept without an expiry.
	c := newRedisClient(t, srv.Addr)
	keys, err := c.Do(t.Context(), c.B().Keys().Pattern("t3:*").Build()).AsStrSlice()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	for _, k := range keys {
		if ttl, err := c.Do(t.Context(), c.B().Pttl().Key(k).Build()).AsInt64(); err != nil || ttl <= 0 {
			t.Errorf("key %s has no expiry (PTTL %d, %v)", k, ttl, err)
		}
	}
	g.Release()
}

// TestRedisDownFailsClosed: with Redis gone every call refuses (503, 105,
// Retry-After) or errors, and works again once Redis is back, without a
// new client.
func TestRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	r := NewRedis(newRedisClient(t, srv.Addr), nil, "t4:")
	specs := []Spec{{Name: "rate", Kind: KindRate, Rate: 100, PerS: 1, Burst: 100}}
	if _, d := r.Acquire("k", specs); d.Denied() {
		t.Fatalf("refused with redis up: %+v", d)
	}
	srv.Kill()
	_, d := r.Acquire("k", specs)
	if d.Kind != KindUnavailable || d.Status != 503 || d.Code != CodeUnavailable || d.RetryAfterSeconds() < 1 {
		t.Errorf("with redis down: %+v, want unavailable 503/105 with a Retry-After", d)
	}
	if _, _, err := r.Blocked("key:k@1.2.3.4"); err == nil {
		t.Error("Blocked without redis: no error (would fail open)")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, d := r.Acquire("k", specs)
		if !d.Denied() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refused 10 s after redis came back: %+v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisLeaseEndsLostSlots: a slot never released (its node was killed)
// holds for ConcurrencyLease, then counts no more.
func TestRedisLeaseEndsLostSlots(t *testing.T) {
	srv := redistest.Start(t)
	clk := newFakeClock(hourStart)
	r := NewRedis(newRedisClient(t, srv.Addr), clk, "t5:")
	defer r.Close()
	specs := []Spec{{Name: "conc", Kind: KindConcurrency, Count: 1}}
	if _, d := r.Acquire("k", specs); d.Denied() { // never released
		t.Fatal(d)
	}
	clk.Advance(ConcurrencyLease - time.Second)
	if _, d := r.Acquire("k", specs); !d.Denied() || d.Code != CodeConcurrency {
		t.Fatalf("second slot within the lease: %+v, want 203", d)
	}
	clk.Advance(2 * time.Second)
	g, d := r.Acquire("k", specs)
	if d.Denied() {
		t.Fatalf("slot still held after its lease: %+v", d)
	}
	g.Release()
}
