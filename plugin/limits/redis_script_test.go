package limits

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// TestRedisGeneratedSameAsGeneric runs one random sequence of admissions
// (rate, quota and concurrency specs, several subjects, failed
// authentications that block addresses and pairs, fresh and replayed
// nonces, releases carried by the next admission, a clock moving in steps)
// on two Redis servers: on one every admission runs the generic script, on
// the other the scripts generated per limit set. Every answer and, after
// every step, every key Redis holds (fields, values, set sizes and scores,
// expiries) must be the same.
func TestRedisGeneratedSameAsGeneric(t *testing.T) {
	clk := newFakeClock(hourStart)
	srvA, srvB := redistest.Start(t), redistest.Start(t)
	ca, cb := newRedisClient(t, srvA.Addr), newRedisClient(t, srvB.Addr)
	generic, gen := NewRedis(ca, clk, "g:"), NewRedis(cb, clk, "g:")
	generic.genMax = 0
	for _, r := range []*Redis{generic, gen} {
		r.relDelay = time.Hour // releases only leave with the next admission: the same on both
	}
	specSets := [][]Spec{
		{{Name: "rate", Kind: KindRate, Rate: 2, PerS: 1, Burst: 4}},
		{{Name: "quota", Kind: KindQuota, Count: 7, PerS: 60, Cost: 2}, {Name: "rate", Kind: KindRate, Rate: 5, PerS: 60, Burst: 3}},
		{{Name: "conc", Kind: KindConcurrency, Count: 2}, {Name: "quota", Kind: KindQuota, Count: 20, PerS: 60, Cost: 1}},
		{{Name: "big", Kind: KindRate, Rate: 1, PerS: 1, Burst: 2, Cost: 3}},
		{{Name: "free", Kind: KindQuota, Count: 3, PerS: 10, Cost: 0}, {Name: "c1", Kind: KindConcurrency, Count: 1},
			{Name: "odd'name", Kind: KindRate, Rate: 3, PerS: 7, Burst: 2}},
		{{Name: "c3", Kind: KindConcurrency, Count: 3}},
		{},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	type held struct{ a, b Grant }
	var open []held
	kinds := map[string]int{}
	for i := range 600 {
		switch rng.IntN(5) {
		case 0:
			clk.Advance(time.Duration(rng.IntN(900)) * time.Millisecond)
		case 1:
			if len(open) > 0 {
				j := rng.IntN(len(open))
				open[j].a.Release()
				open[j].b.Release()
				open = slices.Delete(open, j, j+1)
			}
		}
		key, addr := []string{"k1", "k2", "k3"}[rng.IntN(3)], []string{"10.0.0.1", "10.0.0.2", "2001:db8::1"}[rng.IntN(3)]
		if rng.IntN(6) == 0 {
			for _, r := range []*Redis{generic, gen} {
				if r.FailedAuth(KeySource(key, addr)) != nil || r.FailedSource(addr) != nil {
					t.Fatal("redis failed")
				}
			}
			continue
		}
		var c Checks
		if rng.IntN(3) > 0 {
			c.Address = addr
		}
		if rng.IntN(3) > 0 {
			c.KeySource = KeySource(key, addr)
		}
		if rng.IntN(2) == 0 {
			c.NonceKey, c.NonceTTL = "g:nonce:"+strconv.Itoa(rng.IntN(40)), time.Duration(1+rng.IntN(300))*time.Second
		}
		specs := specSets[rng.IntN(len(specSets))]
		ga, da := generic.Admit(key, specs, c)
		gb, db := gen.Admit(key, specs, c)
		if da.Denied() != db.Denied() || da.Kind != db.Kind || da.Name != db.Name || da.Code != db.Code || da.Status != db.Status ||
			da.RetryAfter != db.RetryAfter || da.Usage != db.Usage || da.Policy != db.Policy || da.RateLimit != db.RateLimit {
			t.Fatalf("step %d (%s %v %+v): generic %+v, generated %+v", i, key, specs, c, da, db)
		}
		if !ga.Usage.Reset.Equal(gb.Usage.Reset) || ga.Usage.Used != gb.Usage.Used || ga.Usage.Remaining != gb.Usage.Remaining ||
			ga.Policy != gb.Policy || ga.RateLimit != gb.RateLimit || (ga.rel == nil) != (gb.rel == nil) ||
			(ga.rel != nil && ga.rel.await != gb.rel.await) {
			t.Fatalf("step %d: grant differs:\ngeneric   %+v\ngenerated %+v", i, ga, gb)
		}
		kinds[da.Kind]++
		if !da.Denied() {
			open = append(open, held{ga, gb})
		}
		if i%5 == 0 {
			sameRedisState(t, ca, cb, "g:*", fmt.Sprintf("step %d (%s %v %+v)", i, key, specs, c))
		}
	}
	for _, k := range []string{"", KindRate, KindQuota, KindConcurrency, KindBlocked, KindReplayed} {
		if kinds[k] < 5 {
			t.Errorf("answers by kind %v: the sequence does not exercise %q", kinds, k)
		}
	}
	if len(gen.gens.Load().scripts) < 5 {
		t.Errorf("%d scripts generated, want one per shape seen", len(gen.gens.Load().scripts))
	}
	generic.Close()
	gen.Close()
	sameRedisState(t, ca, cb, "g:*", "after the last releases")
}

// redisState prints every key matching pattern with its value (hash
// fields, set sizes and scores but not the members: grant ids differ
// between limiters, strings) and returns the keys' expiries (Unix ms).
func redisState(t *testing.T, c valkey.Client, pattern string) (string, map[string]int64) {
	t.Helper()
	ctx := t.Context()
	keys, err := c.Do(ctx, c.B().Keys().Pattern(pattern).Build()).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	var b strings.Builder
	ttls := map[string]int64{}
	for _, k := range keys {
		typ, _ := c.Do(ctx, c.B().Type().Key(k).Build()).ToString()
		fmt.Fprintf(&b, "%s %s", k, typ)
		switch typ {
		case "hash":
			m, _ := c.Do(ctx, c.B().Hgetall().Key(k).Build()).AsStrMap()
			fields := make([]string, 0, len(m))
			for f, v := range m {
				fields = append(fields, f+"="+v)
			}
			slices.Sort(fields)
			fmt.Fprintf(&b, " %v", fields)
		case "zset":
			zs, _ := c.Do(ctx, c.B().Zrange().Key(k).Min("0").Max("-1").Withscores().Build()).AsZScores()
			for _, z := range zs {
				fmt.Fprintf(&b, " %.0f", z.Score)
			}
		case "string":
			v, _ := c.Do(ctx, c.B().Get().Key(k).Build()).ToString()
			fmt.Fprintf(&b, " %q", v)
		}
		b.WriteByte('\n')
		ttls[k], _ = c.Do(ctx, c.B().Pexpiretime().Key(k).Build()).AsInt64()
	}
	return b.String(), ttls
}

// sameRedisState fails t unless the keys of pattern hold the same values
// on both clients, with expiries set alike (Redis sets them from its real
// clock, at nearly the same moment on both: within 250 ms).
func sameRedisState(t *testing.T, ca, cb valkey.Client, pattern, step string) {
	t.Helper()
	a, ta := redisState(t, ca, pattern)
	b, tb := redisState(t, cb, pattern)
	if a != b {
		t.Fatalf("%s: redis state differs:\ngeneric:\n%s\ngenerated:\n%s", step, a, b)
	}
	for k, x := range ta {
		if y := tb[k]; (x < 0) != (y < 0) || max(x-y, y-x) > 250 {
			t.Fatalf("%s: %s expires at %d ms (generic), %d ms (generated)", step, k, x, y)
		}
	}
}

// TestRedisGeneratedMixedNodes: nodes that run generated scripts and nodes
// past their bound that run the generic one charge the same counters in
// one Redis, with the embedded limiter's decisions.
func TestRedisGeneratedMixedNodes(t *testing.T) {
	srv := redistest.Start(t)
	clk := newFakeClock(hourStart)
	mem := New(clk, 1000)
	gen := NewRedis(newRedisClient(t, srv.Addr), clk, "m:")
	generic := NewRedis(newRedisClient(t, srv.Addr), clk, "m:")
	generic.genMax = 0
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 40, PerS: 60, Cost: 1}, {Name: "rate", Kind: KindRate, Rate: 4, PerS: 1, Burst: 3},
		{Name: "conc", Kind: KindConcurrency, Count: 2}}
	rng := rand.New(rand.NewPCG(9, 10))
	admitted, refused := 0, 0
	for i := range 300 {
		if rng.IntN(3) == 0 {
			clk.Advance(time.Duration(rng.IntN(1500)) * time.Millisecond)
		}
		node := []*Redis{gen, generic}[rng.IntN(2)]
		gm, dm := mem.Acquire("k", specs)
		gr, dr := node.Admit("k", specs, Checks{})
		if dm.Denied() != dr.Denied() || dm.Kind != dr.Kind || dm.Name != dr.Name || dm.RetryAfterSeconds() != dr.RetryAfterSeconds() ||
			dm.Usage != dr.Usage || dm.RateLimit != dr.RateLimit {
			t.Fatalf("request %d: embedded %+v, redis %+v", i, dm, dr)
		}
		if dm.Denied() {
			refused++
			continue
		}
		admitted++
		if gm.Usage.Used != gr.Usage.Used || gm.RateLimit != gr.RateLimit {
			t.Fatalf("request %d: grant differs: embedded %+v, redis %+v", i, gm, gr)
		}
		gm.Release()
		gr.Release()
		node.flushReleases()
	}
	if admitted < 30 || refused < 30 {
		t.Errorf("%d admitted, %d refused: the sequence does not exercise both", admitted, refused)
	}
}

// TestRedisGeneratedBound: a Redis generates at most genMax scripts (later
// limit sets run the generic script, with the same answers), and a
// generated script that Redis no longer holds (SCRIPT FLUSH, a restarted
// Redis) is loaded again by the next call.
func TestRedisGeneratedBound(t *testing.T) {
	srv := redistest.Start(t)
	c := newRedisClient(t, srv.Addr)
	r := NewRedis(newRedisClient(t, srv.Addr), nil, "b:")
	defer r.Close()
	r.genMax = 2
	for n := 1; n <= 4; n++ {
		specs := []Spec{{Name: "q", Kind: KindQuota, Count: n, PerS: 3600, Cost: 1}}
		for k := range n + 1 {
			_, d := r.Admit("key"+strconv.Itoa(n), specs, Checks{})
			if d.Denied() != (k == n) || (k == n && d.Kind != KindQuota) {
				t.Fatalf("quota %d, request %d: %+v", n, k+1, d)
			}
		}
	}
	if len(r.gens.Load().scripts) != 2 {
		t.Errorf("%d scripts generated, want the bound 2", len(r.gens.Load().scripts))
	}
	if err := c.Do(t.Context(), c.B().ScriptFlush().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	specs := []Spec{{Name: "q", Kind: KindQuota, Count: 1, PerS: 3600, Cost: 1}}
	if _, d := r.Admit("key1", specs, Checks{}); d.Kind != KindQuota {
		t.Fatalf("after SCRIPT FLUSH: %+v, want the quota's refusal (the count kept)", d)
	}
	if _, d := r.Admit("fresh", specs, Checks{}); d.Denied() {
		t.Fatalf("after SCRIPT FLUSH, a new subject: %+v", d)
	}
}

// TestAcquireSourceQuotesNames: a limit's name is written into the
// generated script as a quoted string, whatever printable characters it
// holds, and the script's answers use it as a field like the generic one.
func TestAcquireSourceQuotesNames(t *testing.T) {
	srv := redistest.Start(t)
	r := NewRedis(newRedisClient(t, srv.Addr), nil, "n:")
	defer r.Close()
	for _, name := range []string{"a'b", "x]]y", "--c", "end)", "%s%d"} {
		specs := []Spec{{Name: name, Kind: KindQuota, Count: 1, PerS: 60, Cost: 1}, {Name: name, Kind: KindRate, Rate: 9, PerS: 1, Burst: 9}}
		if _, d := r.Admit("k", specs, Checks{}); d.Denied() {
			t.Fatalf("name %q: %+v", name, d)
		}
		if _, d := r.Admit("k", specs, Checks{}); d.Kind != KindQuota || d.Name != name {
			t.Fatalf("name %q, second request: %+v, want its quota's refusal", name, d)
		}
	}
}

// TestRedisReleaseTimerWritesOnlyDue: the release timer writes the
// released slots that waited ReleaseDelay and leaves the younger ones to
// the next admission (or its next run), so that a busy node makes no round
// trip for releases.
func TestRedisReleaseTimerWritesOnlyDue(t *testing.T) {
	srv := redistest.Start(t)
	c := newRedisClient(t, srv.Addr)
	r := NewRedis(newRedisClient(t, srv.Addr), nil, "d:")
	defer r.Close()
	zcard := func() int64 {
		t.Helper()
		n, err := c.Do(t.Context(), c.B().Zcard().Key(r.hashKey("l", "key")+":c:three").Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	pending := func() int {
		r.relMu.Lock()
		defer r.relMu.Unlock()
		return len(r.relPending)
	}
	r.relMu.Lock()
	r.relDelay = time.Hour
	r.relMu.Unlock()
	three := []Spec{{Name: "three", Kind: KindConcurrency, Count: 3}}
	g1, d1 := r.Admit("key", three, Checks{})
	g2, d2 := r.Admit("key", three, Checks{})
	if d1.Denied() || d2.Denied() || g1.rel.await || g2.rel.await {
		t.Fatalf("two of three slots: %+v %+v", d1, d2)
	}
	g1.Release()
	r.relMu.Lock()
	r.relPending[0].at -= time.Hour // released an hour ago
	r.relMu.Unlock()
	g2.Release() // released now
	r.flushDue()
	if n, p := zcard(), pending(); n != 1 || p != 1 {
		t.Fatalf("after the timer: %d slots held, %d releases waiting; want the due one written (1 held, 1 waiting)", n, p)
	}
	r.relMu.Lock()
	armed := r.relArmed
	r.relDelay = 0
	r.relMu.Unlock()
	if !armed {
		t.Fatal("the timer is not set for the release still waiting")
	}
	r.flushDue()
	if n, p := zcard(), pending(); n != 0 || p != 0 {
		t.Fatalf("once due: %d slots held, %d releases waiting; want none", n, p)
	}
}

// TestRedisGeneratedManySpecs: a limit set of maxGenSpecs limits runs a
// generated script (Lua takes it: locals, registers), one more runs the
// generic script; both admit and then refuse alike.
func TestRedisGeneratedManySpecs(t *testing.T) {
	srv := redistest.Start(t)
	r := NewRedis(newRedisClient(t, srv.Addr), nil, "s:")
	defer r.Close()
	for _, n := range []int{maxGenSpecs, maxGenSpecs + 1} {
		var specs []Spec
		for i := range n {
			name := "l" + strconv.Itoa(i)
			switch i % 3 {
			case 0:
				specs = append(specs, Spec{Name: name, Kind: KindRate, Rate: 100, PerS: 1, Burst: 100})
			case 1:
				specs = append(specs, Spec{Name: name, Kind: KindQuota, Count: 1 + i%2, PerS: 3600, Cost: 1})
			default:
				specs = append(specs, Spec{Name: name, Kind: KindConcurrency, Count: 10})
			}
		}
		before := len(r.gens.Load().scripts)
		subject := "k" + strconv.Itoa(n)
		g, d := r.Admit(subject, specs, Checks{Address: "192.0.2.7", KeySource: KeySource(subject, "192.0.2.7")})
		if d.Denied() {
			t.Fatalf("%d limits, first request: %+v", n, d)
		}
		g.Release()
		if _, d := r.Admit(subject, specs, Checks{}); d.Kind != KindQuota || d.Name != "l4" {
			t.Fatalf("%d limits, second request: %+v, want the refusal of l4 (the first quota of 1)", n, d)
		}
		if added := len(r.gens.Load().scripts) - before; added != map[bool]int{true: 2, false: 0}[n <= maxGenSpecs] {
			t.Errorf("%d limits: %d scripts generated", n, added)
		}
	}
}
