package limits

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// Benchmarks of the cluster mode's admission against a private
// redis-server; the baseline is one PING round trip on the same client, the
// least any shared counter can cost. Run:
//
//	go test ./plugin/limits -run '^$' -bench Redis -benchmem -count 3

var redisBenchSpecs = []Spec{
	{Name: "inflight", Kind: KindConcurrency, Count: 1 << 20},
	{Name: "key-rate", Kind: KindRate, Rate: 1e9, PerS: 1, Burst: 1 << 20},
	{Name: "quota", Kind: KindQuota, Count: 1 << 40, PerS: 3600, Cost: 1},
}

func benchRedis(b *testing.B) *Redis {
	srv := redistest.Start(b)
	r := NewRedis(newRedisClient(b, srv.Addr), nil, "bench:")
	b.Cleanup(r.Close)
	return r
}

func BenchmarkRedisBaselinePing(b *testing.B) {
	r := benchRedis(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := r.c.Do(b.Context(), r.c.B().Ping().Build()).Error(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRedisAdmitSecret is what a request in the secret mode costs:
// the address and (key, address) blocks and three limits, then the release.
func BenchmarkRedisAdmitSecret(b *testing.B) {
	r := benchRedis(b)
	c := Checks{Address: "192.0.2.1", KeySource: KeySource("fg_live_key", "192.0.2.1")}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g, d := r.Admit("fg_live_key", redisBenchSpecs, c)
			if d.Denied() {
				b.Fatal(d)
			}
			g.Release()
		}
	})
}

// BenchmarkRedisAdmitSigned adds a fresh nonce to each request.
func BenchmarkRedisAdmitSigned(b *testing.B) {
	r := benchRedis(b)
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := Checks{Address: "192.0.2.1", KeySource: KeySource("fg_live_key", "192.0.2.1"),
				NonceKey: "bench:nonce:" + strconv.FormatInt(seq.Add(1), 10), NonceTTL: time.Minute}
			g, d := r.Admit("fg_live_key", redisBenchSpecs, c)
			if d.Denied() {
				b.Fatal(d)
			}
			g.Release()
		}
	})
}
