package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/plugin/limits/redistest"
)

func init() { commands["guard-cluster"] = guardClusterBench }

// guardClusterBench measures the guard in cluster mode (limits, failed-auth
// checks and signature nonces in a private redis-server on loopback)
// against the embedded mode (the same in memory and Badger) and bare Caddy
// (`respond` without the guard), in the same run, round after round. Each
// guarded run sits between two runs of bare Caddy with the same requests
// and is compared with their mean, so that the machine's drift from one
// run to the next (other tenants, clock speed) cancels instead of landing
// in the ratio. With several worker counts (--workers 8,16,32) each gets
// its table, and a last one compares each configuration's peak, its best
// req/s over the counts, with bare Caddy's: throughput as capacity, where
// one count alone may leave a server that waits on a round trip short of
// its cores. Keys
// carry three limit overrides (concurrency, rate, quota) so that every
// request is charged. Redis's own CPU per request is reported apart. With
// --baseline-bin the cluster mode of another binary (an earlier commit's)
// runs in the same rounds, on a second Redis.
//
//	go run ./tests/bench guard-cluster [--bin bin/facegate] [--baseline-bin /tmp/facegate-old] [--rounds 3] [--duration 5s] [--workers 8[,16,32]]
func guardClusterBench(args []string) error {
	fs := flag.NewFlagSet("guard-cluster", flag.ContinueOnError)
	bin := fs.String("bin", "bin/facegate", "facegate binary")
	baseBin := fs.String("baseline-bin", "", "also measure the cluster mode of this facegate binary (e.g. an earlier commit's) in the same rounds")
	dur := fs.Duration("duration", 5*time.Second, "measured time per configuration and round")
	workersList := fs.String("workers", "8", "concurrent keep-alive connections; a comma-separated list (e.g. 8,16,32) gives a table per count and one of each configuration's peak over the counts")
	logLevel := fs.String("log-level", "INFO", "Caddy log level of the servers")
	rounds := fs.Int("rounds", 3, "rounds over all configurations (the table gives medians)")
	profile := fs.String("cpuprofile", "", "save CPU profiles of the cluster-mode and embedded servers (first round) to this path + \"-secret.pprof\", \"-signature.pprof\", \"-embedded-secret.pprof\" and \"-embedded-signature.pprof\"")
	stats := fs.Bool("redis-stats", false, "print redis-server's INFO commandstats and stats (reads, commands) at the end (redis-cli)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var counts []int
	for _, f := range strings.Split(*workersList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("--workers: %q is not a positive count", f)
		}
		counts = append(counts, n)
	}
	redisBin := redistest.Binary()
	if redisBin == "" {
		return fmt.Errorf("redis-server is not installed (apt-get install redis-server)")
	}
	rdir, err := os.MkdirTemp("", "facegate-bench-redis-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(rdir)
	rs, err := redistest.StartIn(redisBin, rdir)
	if err != nil {
		return err
	}
	defer rs.Stop()

	bare, err := startBenchServer(*bin, benchCaddyfile(false, *logLevel))
	if err != nil {
		return fmt.Errorf("starting the bare server: %w", err)
	}
	defer bare.stop()
	embedded, err := startBenchServer(*bin, benchCaddyfile(true, *logLevel))
	if err != nil {
		return fmt.Errorf("starting the embedded guard: %w", err)
	}
	defer embedded.stop()
	clusterCfg := strings.Replace(benchCaddyfile(true, *logLevel), "\t\tdata_dir {$BENCH_DIR}/data\n",
		"\t\tdata_dir {$BENCH_DIR}/data\n\t\tcluster {\n\t\t\tredis "+rs.URL()+"\n\t\t}\n", 1)
	cluster, err := startBenchServer(*bin, clusterCfg)
	if err != nil {
		return fmt.Errorf("starting the cluster-mode guard: %w", err)
	}
	defer cluster.stop()
	var baseline *benchServer
	var baseKey [2]string
	var baseRedis *redistest.Server
	if *baseBin != "" { // on a Redis of its own: the bootstrap administrators' TOTP steps would collide
		bdir, err := os.MkdirTemp("", "facegate-bench-redis-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(bdir)
		if baseRedis, err = redistest.StartIn(redisBin, bdir); err != nil {
			return err
		}
		defer baseRedis.Stop()
		cfg := strings.Replace(clusterCfg, rs.URL(), baseRedis.URL(), 1)
		if baseline, err = startBenchServer(*baseBin, cfg); err != nil {
			return fmt.Errorf("starting the baseline cluster-mode guard: %w", err)
		}
		defer baseline.stop()
		if _, baseKey, err = baseline.benchKeys(); err != nil {
			return err
		}
	}
	_, embKey, err := embedded.benchKeys()
	if err != nil {
		return err
	}
	_, cluKey, err := cluster.benchKeys()
	if err != nil {
		return err
	}
	body := []byte(url.Values{"uids": {"someone@demo"}}.Encode())
	secretReq := func(k [2]string) func(u string) (*http.Request, error) {
		b := []byte(url.Values{"api_key": {k[0]}, "api_secret": {k[1]}, "uids": {"someone@demo"}}.Encode())
		return func(u string) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
			if err == nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return r, err
		}
	}
	signedReq := func(k [2]string) func(u string) (*http.Request, error) {
		return func(u string) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r, httpsig.SignRequest(r, body, k[0], []byte(k[1]), time.Now())
		}
	}
	type config struct {
		name string
		srv  *benchServer
		req  func(u string) (*http.Request, error)
	}
	// One group per authentication mode: its bare run, then the guarded
	// configurations, each measured between two bare runs.
	type group struct {
		bare    config
		guarded []config
	}
	groups := []group{
		{config{"bare respond (no guard), secret-style body", bare, secretReq(embKey)}, []config{
			{"guard embedded, secret mode + 3 limit overrides", embedded, secretReq(embKey)},
			{"guard cluster (redis), secret mode + 3 limit overrides", cluster, secretReq(cluKey)}}},
		{config{"bare respond (no guard), signed request", bare, signedReq(embKey)}, []config{
			{"guard embedded, signature mode + 3 limit overrides", embedded, signedReq(embKey)},
			{"guard cluster (redis), signature mode + 3 limit overrides", cluster, signedReq(cluKey)}}},
	}
	if baseline != nil {
		groups[0].guarded = append(groups[0].guarded, config{"baseline binary, cluster, secret mode + 3 limit overrides", baseline, secretReq(baseKey)})
		groups[1].guarded = append(groups[1].guarded, config{"baseline binary, cluster, signature mode + 3 limit overrides", baseline, signedReq(baseKey)})
	}
	fmt.Printf("guard overhead, embedded vs cluster mode: HTTP/1.1 keep-alive, TLS, %d rounds × %v per configuration and worker count, route tags/get, log level %s, redis-server on loopback; each guarded run against the mean of the bare runs just before and after it\n\n",
		*rounds, *dur, *logLevel)
	type acc struct {
		rps, ratio, cpu, redisCPU []float64
		errors                    int64
	}
	type runKey struct {
		name    string
		workers int
	}
	accs := map[runKey]*acc{}
	// peaks[name][round]: the configuration's best req/s over the worker
	// counts in that round, and (guarded) the bare mean around that run
	type peak struct{ rps, bare float64 }
	peaks := map[string][]peak{}
	run := func(round, workers int, c config) (float64, error) {
		var prof chan error
		if *profile != "" && round == 0 && workers == counts[0] && (c.srv == cluster || c.srv == embedded) {
			mode := "signature"
			if strings.Contains(c.name, "secret") {
				mode = "secret"
			}
			if c.srv == embedded {
				mode = "embedded-" + mode
			}
			prof = make(chan error, 1)
			go func() { prof <- c.srv.cpuProfile(*dur, *profile+"-"+mode+".pprof") }()
		}
		redisPid := rs.Pid()
		if baseline != nil && c.srv == baseline {
			redisPid = baseRedis.Pid()
		}
		// redis CPU from the end of runLoad's 1 s warm-up to its end
		r0 := make(chan int64, 1)
		go func() { time.Sleep(time.Second); r0 <- procCPU(redisPid) }()
		res, err := runLoad(c.srv, c.req, workers, *dur)
		r1 := procCPU(redisPid)
		if prof != nil {
			if perr := <-prof; perr != nil {
				fmt.Fprintln(os.Stderr, "cpu profile:", perr)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", c.name, err)
		}
		a := accs[runKey{c.name, workers}]
		if a == nil {
			a = &acc{}
			accs[runKey{c.name, workers}] = a
		}
		a.rps = append(a.rps, res.rps)
		a.cpu = append(a.cpu, res.cpuSamples...)
		a.redisCPU = append(a.redisCPU, float64(r1-<-r0)/(res.rps*dur.Seconds())/1e3)
		a.errors += res.errors
		return res.rps, nil
	}
	for round := range *rounds {
		for _, g := range groups {
			for _, c := range g.guarded {
				peaks[c.name] = append(peaks[c.name], peak{})
			}
		}
		for _, w := range counts {
			for _, g := range groups {
				before, err := run(round, w, g.bare)
				if err != nil {
					return err
				}
				for _, c := range g.guarded {
					rps, err := run(round, w, c)
					if err != nil {
						return err
					}
					after, err := run(round, w, g.bare)
					if err != nil {
						return err
					}
					mean := (before + after) / 2
					accs[runKey{c.name, w}].ratio = append(accs[runKey{c.name, w}].ratio, rps/mean)
					pk := &peaks[c.name][round]
					pk.rps, pk.bare = max(pk.rps, rps), max(pk.bare, mean)
					before = after
				}
			}
		}
	}
	var rows []config
	for _, g := range groups {
		rows = append(append(rows, g.bare), g.guarded...)
	}
	for _, w := range counts {
		fmt.Printf("%d workers:\n\n", w)
		fmt.Println("| configuration | req/s (median) | vs bare (median; min–max of rounds) | server CPU µs/req p50 | redis CPU µs/req | non-200 |")
		fmt.Println("|---|---:|---:|---:|---:|---:|")
		for _, c := range rows {
			a := accs[runKey{c.name, w}]
			ratio, rcpu := "1.00", "—"
			if c.srv != bare {
				ratio = fmt.Sprintf("%.2f (%.2f–%.2f)", median(a.ratio), slices.Min(a.ratio), slices.Max(a.ratio))
			}
			if c.srv == cluster || (baseline != nil && c.srv == baseline) {
				rcpu = fmt.Sprintf("%.0f", median(a.redisCPU))
			}
			fmt.Printf("| %s | %.0f | %s | %.0f | %s | %d |\n", c.name, median(a.rps), ratio, median(a.cpu), rcpu, a.errors)
		}
		fmt.Println()
	}
	if len(counts) > 1 {
		// throughput as capacity: each server's best over the worker counts
		fmt.Println("peak over the worker counts (each round: the configuration's best req/s against bare's best, bare as the mean around each run):")
		fmt.Println()
		fmt.Println("| configuration | peak req/s (median) | peak vs bare's peak (median; min–max of rounds) |")
		fmt.Println("|---|---:|---:|")
		for _, c := range rows {
			if c.srv == bare {
				continue
			}
			var rps, ratio []float64
			for _, pk := range peaks[c.name] {
				rps, ratio = append(rps, pk.rps), append(ratio, pk.rps/pk.bare)
			}
			fmt.Printf("| %s | %.0f | %.2f (%.2f–%.2f) |\n", c.name, median(rps), median(ratio), slices.Min(ratio), slices.Max(ratio))
		}
		fmt.Println()
	}
	if *stats {
		out, err := exec.Command("redis-cli", "-u", rs.URL(), "INFO", "commandstats", "stats").CombinedOutput()
		fmt.Printf("\n%s%v\n", out, err)
	}
	return nil
}
