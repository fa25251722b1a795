package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
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
// in Badger in the same run.
//
//	go run ./tests/bench pg-cluster [--n 1000000] [--lag 500]
func pgClusterBench(args []string) error {
	fs := flag.NewFlagSet("pg-cluster", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "templates in the start-up measurement (0 skips it)")
	lagN := fs.Int("lag", 500, "writes in the replication-lag measurement (0 skips it)")
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
		return pgStart(srv, key, *n)
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
func pgStart(srv *pgtest.Server, key []byte, n int) error {
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
	fmt.Println("| store | open | index load | open + load | templates/s | vs Badger | table size |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	var base time.Duration
	for _, row := range []struct {
		name string
		open func() (*store.Store, error)
	}{
		{"Badger (embedded)", func() (*store.Store, error) { return store.Open(store.DefaultOptions(dir, key)) }},
		{"PostgreSQL", func() (*store.Store, error) { return pgOpen(srv, dsn, key) }},
	} {
		runtime.GC()
		t0 := time.Now()
		st, err := row.open()
		if err != nil {
			return err
		}
		opened := time.Since(t0)
		x := index.New()
		got, err := x.Load(st)
		total := time.Since(t0)
		st.Close()
		if err != nil || got != n {
			return fmt.Errorf("%s: loaded %d of %d: %v", row.name, got, n, err)
		}
		if base == 0 {
			base = total
		}
		size := "-"
		if row.name == "PostgreSQL" {
			size = fmt.Sprintf("%.0f MB", float64(lsm)/1e6)
		}
		fmt.Printf("| %s | %s | %s | %s | %.0f | %.2fx | %s |\n", row.name, opened.Round(time.Millisecond), (total - opened).Round(time.Millisecond),
			total.Round(time.Millisecond), float64(n)/(total-opened).Seconds(), total.Seconds()/base.Seconds(), size)
		runtime.KeepAlive(x)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
