package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

func init() { commands["pg-cluster"] = pgClusterBench }

// pgClusterBench measures the store on a private PostgreSQL (initdb/pg_ctl
// as in the tests): the replication lag from one node's acknowledged write
// to another node's watcher (the change feed that keeps indexes and key
// caches current), and the start-up of a node over n templates: opening the
// store and loading the whole template index, against the same n templates
// in Badger in the same run (rounds alternating, with CPU times), and the
// search time on the index loaded from each store. pg-node measures the
// same through the real binary over HTTPS.
//
//	go run ./tests/bench pg-cluster [--n 1000000] [--lag 500] [--rounds 2] [--queries 50]
func pgClusterBench(args []string) error {
	fs := flag.NewFlagSet("pg-cluster", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "templates in the start-up measurement (0 skips it)")
	lagN := fs.Int("lag", 500, "writes in the replication-lag measurement (0 skips it)")
	profile := fs.String("cpuprofile", "", "save a CPU profile of the first index load from PostgreSQL to this file")
	rounds := fs.Int("rounds", 2, "index loads of each store, alternating")
	queries := fs.Int("queries", 50, "searches per store and round on the loaded indexes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := pgtest.StartServer()
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer srv.Close()
	fmt.Printf("store on PostgreSQL (%s, loopback), %d cores, GOMAXPROCS %d\n\n", srv.Bin, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	key := bytes.Repeat([]byte{9}, store.KeySize)
	if *lagN > 0 {
		if err := pgLag(srv, key, *lagN); err != nil {
			return err
		}
	}
	if *n > 0 {
		return pgStart(srv, key, *n, *rounds, *queries, *profile)
	}
	return nil
}

func pgOpen(srv *pgtest.Server, dsn string, key []byte) (*store.Store, error) {
	return store.Open(store.Options{Postgres: dsn, EncryptionKey: key, PlainPrefixes: keyring.PlainKeyPrefixes})
}

// pgLag writes one template at a time on node A (a new key each time, as
// tags/save + train do) and times its arrival at node B's watcher from the
// moment A's Update returned (the write was acknowledged).
func pgLag(srv *pgtest.Server, key []byte, n int) error {
	dsn, err := srv.CreateDB()
	if err != nil {
		return err
	}
	a, err := pgOpen(srv, dsn, key)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := pgOpen(srv, dsn, key)
	if err != nil {
		return err
	}
	defer b.Close()
	var mu sync.Mutex
	acked := map[string]time.Time{}
	arrived := make(chan time.Duration, n)
	stop := b.Watch(index.KeyPrefix, func(c store.Change) {
		now := time.Now()
		mu.Lock()
		at, ok := acked[c.Key]
		mu.Unlock()
		if ok {
			arrived <- now.Sub(at)
		}
	})
	defer stop()
	r := rand.New(rand.NewPCG(3, 3))
	var v [index.Dim]float32
	commit := make([]time.Duration, 0, n)
	lags := make([]time.Duration, 0, n)
	for i := range n {
		for d := range v {
			v[d] = float32(r.NormFloat64())
		}
		k := index.Key("lag", fmt.Sprintf("u%05d@lag", i), fmt.Sprintf("t%05d", i))
		start := time.Now()
		mu.Lock() // the watcher may run before Update returns: hold it until the ack time is known
		if err := a.Update(func(tx *store.Tx) error { return tx.PutRaw(k, index.EncodeVector(v), 0) }); err != nil {
			mu.Unlock()
			return err
		}
		acked[k] = time.Now()
		mu.Unlock()
		commit = append(commit, time.Since(start))
		select {
		case d := <-arrived:
			lags = append(lags, d)
		case <-time.After(10 * time.Second):
			return fmt.Errorf("write %d did not reach the other node within 10 s", i)
		}
		time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond) // writes spread over time, not back to back
	}
	fmt.Printf("replication lag, %d writes one at a time: acknowledged write on node A -> node B's watcher\n\n", n)
	fmt.Println("| measure | p50 | p99 | max |")
	fmt.Println("|---|---:|---:|---:|")
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"Update on A (commit acknowledged)", commit}, {"lag A ack -> B watcher", lags}} {
		slices.Sort(m.d)
		fmt.Printf("| %s | %s | %s | %s |\n", m.name, lagPct(m.d, 50), lagPct(m.d, 99), m.d[len(m.d)-1].Round(10*time.Microsecond))
	}
	fmt.Println()
	return nil
}

func lagPct(d []time.Duration, p int) time.Duration {
	return d[min(len(d)-1, len(d)*p/100)].Round(10 * time.Microsecond)
}

// pgStart writes n templates to PostgreSQL and to Badger, then times what a
// starting node does before its index serves: open the store (PostgreSQL:
// connect, migrations checked, key check) and load every template.
func pgStart(srv *pgtest.Server, key []byte, n, rounds, queries int, profile string) error {
	dsn, err := srv.CreateDB()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "facegate-bench-badger-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pg, err := pgOpen(srv, dsn, key)
	if err != nil {
		return err
	}
	bg, err := store.Open(store.Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		pg.Close()
		return err
	}
	g := &gen{r: rand.New(rand.NewPCG(1, 1)), perUID: 4}
	start := time.Now()
	pb, bb := pg.NewBatch(), bg.NewBatch()
	for i := range n {
		uid, v := g.template(i)
		k, raw := index.Key("bench", uid, fmt.Sprintf("%08x_%013x", i, i)), index.EncodeVector(v)
		if err := pb.Set(k, raw); err != nil {
			return err
		}
		if err := bb.Set(k, raw); err != nil {
			return err
		}
	}
	if err := firstErr(pb.Flush(), bb.Flush()); err != nil {
		return err
	}
	fmt.Printf("start-up over %d templates (written to both stores in %s)\n\n", n, time.Since(start).Round(time.Second))
	lsm, _ := pg.Size()
	if err := firstErr(pg.Close(), bg.Close()); err != nil {
		return err
	}
	fmt.Printf("Rounds alternate the stores; CPU is this process's (decryption, decoding, the index) and, for\nPostgreSQL, its server processes' (table size %.0f MB). Load average before: %s.\n\n", float64(lsm)/1e6, loadAvg())
	fmt.Println("| round | store | open | index load | open + load | templates/s | load CPU | PostgreSQL server CPU |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|")
	loaded := map[string]*index.Index{}
	for r := range rounds {
		for _, row := range []struct {
			name string
			open func() (*store.Store, error)
		}{
			{"Badger (embedded)", func() (*store.Store, error) { return store.Open(store.DefaultOptions(dir, key)) }},
			{"PostgreSQL", func() (*store.Store, error) { return pgOpen(srv, dsn, key) }},
		} {
			delete(loaded, row.name)
			runtime.GC()
			prof := profile != "" && row.name == "PostgreSQL" && r == 0
			if prof {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
			}
			srvCPU0 := pgServerCPU(srv)
			t0 := time.Now()
			st, err := row.open()
			if err != nil {
				return err
			}
			opened := time.Since(t0)
			cpu0, _ := processCPU()
			x := index.New()
			got, err := x.Load(st)
			total := time.Since(t0)
			cpu1, _ := processCPU()
			if prof {
				pprof.StopCPUProfile()
			}
			st.Close()
			if err != nil || got != n {
				return fmt.Errorf("%s: loaded %d of %d: %v", row.name, got, n, err)
			}
			server := "-"
			if row.name == "PostgreSQL" {
				time.Sleep(300 * time.Millisecond) // the server reaps the closed connections' processes
				server = (pgServerCPU(srv) - srvCPU0).Round(10 * time.Millisecond).String()
			}
			fmt.Printf("| %d | %s | %s | %s | %s | %.0f | %s | %s |\n", r+1, row.name, opened.Round(time.Millisecond), (total - opened).Round(time.Millisecond),
				total.Round(time.Millisecond), float64(n)/(total-opened).Seconds(), (cpu1 - cpu0).Round(10*time.Millisecond), server)
			loaded[row.name] = x
		}
	}
	fmt.Printf("\nload average after: %s\n\n", loadAvg())
	return pgSearchSame(loaded["Badger (embedded)"], loaded["PostgreSQL"], queries, rounds)
}

// pgSearchSame times searches (k 10, the whole namespace) on the index
// loaded from Badger and on the one loaded from PostgreSQL, the same queries
// on both, rounds alternating.
func pgSearchSame(bg, pg *index.Index, queries, rounds int) error {
	g := &gen{r: rand.New(rand.NewPCG(7, 7)), perUID: 1}
	qs := make([][index.Dim]float32, queries)
	for i := range qs {
		_, qs[i] = g.template(i)
	}
	type acc struct{ wall, cpu []float64 }
	res := map[string]*acc{"Badger (embedded)": {}, "PostgreSQL": {}}
	for range max(rounds, 3) {
		for _, c := range []struct {
			name string
			x    *index.Index
		}{{"Badger (embedded)", bg}, {"PostgreSQL", pg}} {
			runtime.GC()
			a := res[c.name]
			cpu0, _ := processCPU()
			for _, q := range qs {
				t0 := time.Now()
				if m := c.x.Search("bench", q, 10, nil); len(m) != 10 {
					return fmt.Errorf("%s: search found %d", c.name, len(m))
				}
				a.wall = append(a.wall, float64(time.Since(t0).Microseconds())/1000)
			}
			cpu1, _ := processCPU()
			a.cpu = append(a.cpu, float64((cpu1-cpu0).Microseconds())/1000/float64(len(qs)))
		}
	}
	fmt.Printf("Search on the loaded indexes (%d queries of k 10 over the whole namespace, %d rounds alternating; load average %s)\n\n", queries, max(rounds, 3), loadAvg())
	fmt.Println("| index loaded from | ms/query wall p50 | ms/query CPU (median of rounds) | vs Badger (wall p50) | vs Badger (CPU) |")
	fmt.Println("|---|---:|---:|---:|---:|")
	bw, bc := median(res["Badger (embedded)"].wall), median(res["Badger (embedded)"].cpu)
	for _, name := range []string{"Badger (embedded)", "PostgreSQL"} {
		w, c := median(res[name].wall), median(res[name].cpu)
		fmt.Printf("| %s | %.2f | %.2f | %.2fx | %.2fx |\n", name, w, c, w/bw, c/bc)
	}
	return nil
}

// pgServerCPU is the CPU time of the server's ended processes (the
// postmaster's reaped children: a closed connection's process).
func pgServerCPU(srv *pgtest.Server) time.Duration {
	pid, err := os.ReadFile(filepath.Join(srv.Dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	raw, err := os.ReadFile("/proc/" + strings.TrimSpace(strings.SplitN(string(pid), "\n", 2)[0]) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 15 {
		return 0
	}
	cu, _ := strconv.ParseInt(f[13], 10, 64) // cutime, cstime: fields 16 and 17, in clock ticks of 10 ms
	cs, _ := strconv.ParseInt(f[14], 10, 64)
	return time.Duration(cu+cs) * 10 * time.Millisecond
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
