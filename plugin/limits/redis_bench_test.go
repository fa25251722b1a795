package limits

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// Benchmarks of the cluster mode's admission against a private
// redis-server; the baseline is one PING round trip on the same client, the
// least any shared counter can cost. Callers run 8 at a time (as the guard
// benchmark's workers); besides ns/op (wall time, which other load on the
// machine inflates) each reports the CPU per operation of this process
// (cpu-us/op: the client, its syscalls included) and of redis-server
// (redis-cpu-us/op). Run:
//
//	go test ./plugin/limits -run '^$' -bench Redis -benchmem -benchtime 2s -count 3

var redisBenchSpecs = []Spec{
	{Name: "inflight", Kind: KindConcurrency, Count: 1 << 20},
	{Name: "key-rate", Kind: KindRate, Rate: 1e9, PerS: 1, Burst: 1 << 20},
	{Name: "quota", Kind: KindQuota, Count: 1 << 40, PerS: 3600, Cost: 1},
}

func benchRedis(b *testing.B) *Redis {
	srv := redistest.Start(b)
	r := NewRedis(newRedisClient(b, srv.Addr), nil, "bench:")
	b.Cleanup(r.Close)
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	cpu := startCPUMeter(srv.Pid())
	b.Cleanup(func() { cpu.report(b) })
	b.ResetTimer()
	return r
}

// cpuMeter measures the CPU time of this process and of redis-server over
// a benchmark.
type cpuMeter struct {
	self, redis time.Duration
	pid         int
	reads, wrs  int64 // this process's read and write syscalls (/proc/self/io)
}

func startCPUMeter(redisPid int) *cpuMeter {
	r, w := selfSyscalls()
	return &cpuMeter{self: selfCPU(), redis: procCPU(redisPid), pid: redisPid, reads: r, wrs: w}
}

// report adds the CPU per operation to b's results (call it before the
// server stops).
func (m *cpuMeter) report(b *testing.B) {
	if b.N == 0 {
		return
	}
	b.ReportMetric(float64(selfCPU()-m.self)/float64(b.N)/1e3, "cpu-us/op")
	b.ReportMetric(float64(procCPU(m.pid)-m.redis)/float64(b.N)/1e3, "redis-cpu-us/op")
	if r, w := selfSyscalls(); w > 0 {
		b.ReportMetric(float64(w-m.wrs)/float64(b.N), "writes/op")
		b.ReportMetric(float64(r-m.reads)/float64(b.N), "reads/op")
	}
}

// selfSyscalls are the read and write syscalls of this process so far
// (0, 0 when /proc/self/io cannot be read): how many round trips the
// client's writes carried together.
func selfSyscalls() (reads, writes int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscr":
			reads = n
		case "syscw":
			writes = n
		}
	}
	return reads, writes
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user and system time of process pid from /proc (0 when
// it cannot be read).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from the 3rd on
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ
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
