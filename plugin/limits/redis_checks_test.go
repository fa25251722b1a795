package limits

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// TestRedisAdmitBlocksSameAsEmbedded: the blocks Admit checks in its
// script are those of the embedded limiter (address first, then the (key,
// address) pair, with the same Retry-After), a blocked request charges
// nothing, and an address block is remembered by the node.
func TestRedisAdmitBlocksSameAsEmbedded(t *testing.T) {
	srv := redistest.Start(t)
	clk := newFakeClock(hourStart)
	mem := New(clk, 1000)
	red := NewRedis(newRedisClient(t, srv.Addr), clk, "t6:")
	defer red.Close()
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 1 << 30, PerS: 3600, Cost: 1}}
	rng := rand.New(rand.NewPCG(5, 6))
	blocked, admitted := map[string]int{}, 0
	for i := range 500 {
		if rng.IntN(12) == 0 {
			clk.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
		key, addr := []string{"k1", "k2"}[rng.IntN(2)], []string{"10.0.0.1", "10.0.0.2", "2001:db8::1"}[rng.IntN(3)]
		if rng.IntN(2) == 0 {
			mem.FailedAuth(KeySource(key, addr))
			mem.FailedSource(addr)
			if red.FailedAuth(KeySource(key, addr)) != nil || red.FailedSource(addr) != nil {
				t.Fatal("redis failed")
			}
			continue
		}
		am, awm := mem.SourceBlocked(addr)
		km, kwm := mem.Blocked(KeySource(key, addr))
		before, err := red.Usage(key, specs)
		if err != nil {
			t.Fatal(err)
		}
		g, d := red.Admit(key, specs, Checks{Address: addr, KeySource: KeySource(key, addr)})
		switch {
		case am:
			if d.Kind != KindBlocked || d.Name != "address" || (d.RetryAfter-awm).Abs() > time.Microsecond {
				t.Fatalf("step %d: address blocked for %v in memory, redis %+v", i, awm, d)
			}
			if known, _ := red.KnownSourceBlock(addr); !known {
				t.Fatalf("step %d: the address block Admit found is not remembered", i)
			}
		case km:
			if d.Kind != KindBlocked || d.Name != "key_address" || (d.RetryAfter-kwm).Abs() > time.Microsecond {
				t.Fatalf("step %d: pair blocked for %v in memory, redis %+v", i, kwm, d)
			}
		default:
			if d.Denied() {
				t.Fatalf("step %d: not blocked in memory, redis %+v", i, d)
			}
			admitted++
			g.Release()
			continue
		}
		blocked[d.Name]++
		if after, err := red.Usage(key, specs); err != nil || after != before {
			t.Fatalf("step %d: a blocked request changed the usage from %+v to %+v (%v)", i, before, after, err)
		}
	}
	if blocked["address"] < 10 || blocked["key_address"] < 10 || admitted < 20 {
		t.Errorf("blocked %v and %d admitted: the sequence does not exercise every case", blocked, admitted)
	}
}

// TestRedisAdmitNonce: the script records a nonce only with the charge of
// an admitted request; the nonce of a request refused by a limit or a block
// is not recorded, and a replay charges nothing.
func TestRedisAdmitNonce(t *testing.T) {
	srv := redistest.Start(t)
	clk := newFakeClock(hourStart)
	red := NewRedis(newRedisClient(t, srv.Addr), clk, "t7:")
	defer red.Close()
	c := newRedisClient(t, srv.Addr)
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 2, PerS: 3600, Cost: 1}, {Name: "conc", Kind: KindConcurrency, Count: 5}}
	nonce := func(n string) Checks { return Checks{NonceKey: "t7:nonce:" + n, NonceTTL: 90 * time.Second} }
	recorded := func(n string) bool {
		_, replayed, err := red.Inspect(nonce(n))
		if err != nil {
			t.Fatal(err)
		}
		return replayed
	}
	used := func() int {
		u, err := red.Usage("k", specs)
		if err != nil {
			t.Fatal(err)
		}
		return u.Used
	}

	g, d := red.Admit("k", specs, nonce("a"))
	if d.Denied() || !recorded("a") {
		t.Fatalf("first use: %+v, recorded %v", d, recorded("a"))
	}
	if ttl, err := c.Do(t.Context(), c.B().Pttl().Key("t7:nonce:a").Build()).AsInt64(); err != nil || ttl <= 85_000 || ttl > 90_000 {
		t.Errorf("nonce expires in %d ms (%v), want 90 s", ttl, err)
	}
	g.Release()
	red.flushReleases()
	_, d = red.Admit("k", specs, nonce("a"))
	if d.Kind != KindReplayed || d.Status != 401 {
		t.Fatalf("replay in one script: %+v, want KindReplayed", d)
	}
	if used() != 1 {
		t.Errorf("the replay was charged: %d used, want 1", used())
	}
	if n, _ := c.Do(t.Context(), c.B().Zcard().Key(red.hashKey("l", "k")+":c:conc").Build()).AsInt64(); n != 0 {
		t.Errorf("the replay holds %d concurrency slots", n)
	}

	g, d = red.Admit("k", specs, nonce("b"))
	if d.Denied() {
		t.Fatal(d)
	}
	g.Release()
	_, d = red.Admit("k", specs, nonce("c"))
	if d.Kind != KindQuota || recorded("c") {
		t.Fatalf("over the quota: %+v, nonce recorded %v; want a quota refusal that records nothing", d, recorded("c"))
	}
	clk.Advance(time.Hour)
	if _, d = red.Admit("k", specs, nonce("c")); d.Denied() || !recorded("c") {
		t.Errorf("the nonce of a request refused by a limit, in the next window: %+v, recorded %v", d, recorded("c"))
	}

	for range 3 * DefaultFailedAuthMax {
		if err := red.FailedSource("192.0.2.7"); err != nil {
			t.Fatal(err)
		}
	}
	before := used()
	ch := nonce("d")
	ch.Address = "192.0.2.7"
	if _, d = red.Admit("k", specs, ch); d.Kind != KindBlocked || recorded("d") || used() != before {
		t.Errorf("blocked address: %+v, nonce recorded %v, used %d -> %d; want a block that changes nothing", d, recorded("d"), before, used())
	}
}

// TestRedisAdmitNonceOnceUnderConcurrency: 200 concurrent requests with one
// nonce over four nodes admit exactly one; 200 with their own nonces against
// a quota of 37 admit exactly 37 and record exactly their 37 nonces.
func TestRedisAdmitNonceOnceUnderConcurrency(t *testing.T) {
	srv := redistest.Start(t)
	var nodes []*Redis
	for range 4 {
		nodes = append(nodes, NewRedis(newRedisClient(t, srv.Addr), nil, "t8:"))
		defer nodes[len(nodes)-1].Close()
	}
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 37, PerS: 3600, Cost: 1}, {Name: "conc", Kind: KindConcurrency, Count: 1000}}
	run := func(nonce func(i int) string) (admitted, replayed int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g, d := nodes[i%4].Admit("key", specs, Checks{NonceKey: "t8:nonce:" + nonce(i), NonceTTL: time.Minute})
				defer g.Release()
				mu.Lock()
				defer mu.Unlock()
				switch {
				case !d.Denied():
					admitted++
				case d.Kind == KindReplayed:
					replayed++
				case d.Kind != KindQuota:
					t.Errorf("refused by %s", d.Kind)
				}
			}()
		}
		wg.Wait()
		return admitted, replayed
	}
	if a, r := run(func(int) string { return "same" }); a != 1 || r != 199 {
		t.Errorf("one nonce: %d admitted, %d replays; want 1 and 199", a, r)
	}
	if a, r := run(strconv.Itoa); a != 36 || r != 0 {
		t.Errorf("own nonces: %d admitted, %d replays; want the 36 left of the quota and none", a, r)
	}
	c := newRedisClient(t, srv.Addr)
	keys, err := c.Do(t.Context(), c.B().Keys().Pattern("t8:nonce:*").Build()).AsStrSlice()
	if err != nil || len(keys) != 37 {
		t.Errorf("%d nonces recorded (%v), want exactly the 37 admitted", len(keys), err)
	}
}

// TestRedisReleaseExact: over four nodes never more than the concurrency
// limit is admitted at once and every slot is gone from Redis once its
// grant is released; a client that sends one request after the other, each
// to the next node, is never refused: a grant that took the last free slot
// returns from Release once Redis has freed it, the others leave room.
func TestRedisReleaseExact(t *testing.T) {
	srv := redistest.Start(t)
	var nodes []*Redis
	for range 4 {
		nodes = append(nodes, NewRedis(newRedisClient(t, srv.Addr), nil, "t9:"))
	}
	c := newRedisClient(t, srv.Addr)
	zkey := nodes[0].hashKey("l", "key") + ":c:conc"
	specs := []Spec{{Name: "conc", Kind: KindConcurrency, Count: 3}}
	var inFlight, most, admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, d := nodes[i%4].Admit("key", specs, Checks{})
			if d.Denied() {
				if d.Kind != KindConcurrency {
					t.Errorf("refused by %s", d.Kind)
				}
				refused.Add(1)
				return
			}
			admitted.Add(1)
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Duration(i%3) * time.Millisecond)
			inFlight.Add(-1)
			g.Release()
		}()
	}
	wg.Wait()
	for _, n := range nodes {
		n.flushReleases()
	}
	if most.Load() > 3 || admitted.Load() < 3 || refused.Load() == 0 {
		t.Errorf("at most %d in flight (limit 3), %d admitted, %d refused", most.Load(), admitted.Load(), refused.Load())
	}
	if n, err := c.Do(t.Context(), c.B().Zcard().Key(zkey).Build()).AsInt64(); err != nil || n != 0 {
		t.Errorf("%d slots left in redis after every release (%v), want 0", n, err)
	}

	// One request at a time, each on the next node, right after the
	// previous one's release.
	for _, limit := range []int{1, 3} {
		one := []Spec{{Name: "conc" + strconv.Itoa(limit), Kind: KindConcurrency, Count: limit}}
		for i := range 300 {
			g, d := nodes[i%4].Admit("key", one, Checks{})
			if d.Denied() {
				t.Fatalf("limit %d: request %d on node %d, right after the previous one's release: %+v", limit, i+1, i%4+1, d)
			}
			g.Release()
		}
	}
	for _, n := range nodes {
		n.Close()
	}
	for _, limit := range []string{"1", "3"} {
		if n, err := c.Do(t.Context(), c.B().Zcard().Key(nodes[0].hashKey("l", "key")+":c:conc"+limit).Build()).AsInt64(); err != nil || n != 0 {
			t.Errorf("limit %s: %d slots left in redis after every release (%v), want 0", limit, n, err)
		}
	}
}

// TestRedisReleaseCarried: a release that does not free a limit's last
// slot is written by the node's next admission, before it counts (with no
// write of its own meanwhile), or after the release delay when no
// admission comes; a grant that took the last slot is freed when Release
// returns.
func TestRedisReleaseCarried(t *testing.T) {
	srv := redistest.Start(t)
	c := newRedisClient(t, srv.Addr)
	r := NewRedis(newRedisClient(t, srv.Addr), nil, "t10:")
	defer r.Close()
	zcard := func(name string) int64 {
		t.Helper()
		n, err := c.Do(t.Context(), c.B().Zcard().Key(r.hashKey("l", "key")+":c:"+name).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	two := []Spec{{Name: "two", Kind: KindConcurrency, Count: 2}}
	r.relDelay = time.Hour // only an admission writes it
	g, d := r.Admit("key", two, Checks{})
	if d.Denied() {
		t.Fatal(d)
	}
	g.Release()
	if n := zcard("two"); n != 1 {
		t.Fatalf("%d slots held right after a release that left room, want 1 (not written yet)", n)
	}
	g, d = r.Admit("key", two, Checks{})
	if d.Denied() {
		t.Fatal(d)
	}
	if n := zcard("two"); n != 1 {
		t.Fatalf("%d slots held with one grant, want 1: the next admission writes the release first", n)
	}
	g2, d := r.Admit("key", two, Checks{})
	if d.Denied() || !g2.rel.await {
		t.Fatalf("second slot of two: %+v, await %v", d, g2.rel != nil && g2.rel.await)
	}
	g2.Release() // the last slot: written before Release returns
	if n := zcard("two"); n != 1 {
		t.Fatalf("%d slots held after the release of the last slot, want 1", n)
	}
	g.Release()
	r.relMu.Lock()
	pending := len(r.relPending)
	r.relMu.Unlock()
	if pending != 1 {
		t.Fatalf("%d releases waiting, want 1", pending)
	}
	r.relMu.Lock()
	r.relDelay = time.Millisecond
	r.relTimer.Reset(time.Millisecond)
	r.relMu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for zcard("two") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a waiting release was not written without an admission")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
