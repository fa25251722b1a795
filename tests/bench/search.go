package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

func init() { commands["search"] = searchBench }

// searchBench measures engine/index: ms/query on one core and on all cores, bytes per
// template, int8 accuracy against exact float32 search, and the rebuild time from Badger.
//
//	go run ./tests/bench search [--n 1000000] [--queries 20] [--rebuild=true]
func searchBench(args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	maxN := fs.Int("n", 1_000_000, "largest namespace size (the curve is 10k, 100k, n)")
	queries := fs.Int("queries", 20, "queries per measurement")
	perUID := fs.Int("per-uid", 4, "templates per uid")
	rebuild := fs.Bool("rebuild", true, "measure the index rebuild from a Badger store of n templates")
	profile := fs.String("rebuild-cpuprofile", "", "write a CPU profile of the rebuild to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sizes := []int{}
	for _, n := range []int{10_000, 100_000} {
		if n < *maxN {
			sizes = append(sizes, n)
		}
	}
	sizes = append(sizes, *maxN)

	fmt.Printf("engine/index search benchmark: %d cores, GOMAXPROCS %d, %d queries, %d templates per uid, int8 slab\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), *queries, *perUID)
	fmt.Println("| templates | ms/query 1 core (CPU time) | ms/query 1 core (wall) | ms/query all cores (wall) | bytes/template | recall@1 vs float32 | mean abs dist error |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range sizes {
		if err := searchRow(n, *queries, *perUID); err != nil {
			return err
		}
	}
	if *rebuild {
		return rebuildRow(*maxN, *perUID, *profile)
	}
	return nil
}

// gen produces clustered synthetic descriptors: one centre per uid (per-component sd 0.09,
// like real 128-D face descriptors of norm ~1) plus per-template noise (sd 0.02).
type gen struct {
	r      *rand.Rand
	perUID int
	center [index.Dim]float32
}

func (g *gen) template(i int) (uid string, v [index.Dim]float32) {
	if i%g.perUID == 0 {
		for d := range g.center {
			g.center[d] = float32(g.r.NormFloat64() * 0.09)
		}
	}
	for d := range v {
		v[d] = g.center[d] + float32(g.r.NormFloat64()*0.02)
	}
	return fmt.Sprintf("u%08d@bench", i/g.perUID), v
}

func heapBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func searchRow(n, queries, perUID int) error {
	before := heapBytes()
	x := index.New()
	g := &gen{r: rand.New(rand.NewPCG(uint64(n), 7)), perUID: perUID}
	keepExact := n <= 100_000 // float32 copies for the accuracy check (512 B each)
	var exact [][index.Dim]float32
	var exactUID []string
	for i := range n {
		uid, v := g.template(i)
		x.Add("bench", uid, fmt.Sprintf("%08x_%013x", i, i), v)
		if keepExact {
			exact = append(exact, v)
			exactUID = append(exactUID, uid)
		}
	}
	var perTemplate float64
	if !keepExact {
		perTemplate = float64(heapBytes()-before) / float64(n)
	} else {
		perTemplate = float64(heapBytes()-before-uint64(len(exact))*index.Dim*4-uint64(len(exactUID))*16) / float64(n)
	}
	// queries: a new sample of an existing identity (what recognition sees)
	qr := rand.New(rand.NewPCG(99, uint64(n)))
	qs := make([][index.Dim]float32, queries)
	for i := range qs {
		src := qr.IntN(n)
		var v [index.Dim]float32
		if keepExact {
			v = exact[src]
		} else {
			_, v = (&gen{r: rand.New(rand.NewPCG(uint64(src), 1)), perUID: 1}).template(0)
		}
		for d := range v {
			v[d] += float32(qr.NormFloat64() * 0.02)
		}
		qs[i] = v
	}
	// timeQueries returns wall and process CPU milliseconds per query.
	timeQueries := func(procs int) (wall, cpu float64) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		x.Search("bench", qs[0], 10, nil) // warm up
		start, cpu0 := time.Now(), cpuTime()
		for _, q := range qs {
			x.Search("bench", q, 10, nil)
		}
		nq := float64(len(qs))
		return float64(time.Since(start).Microseconds()) / 1000 / nq, float64((cpuTime() - cpu0).Microseconds()) / 1000 / nq
	}
	oneWall, oneCPU := timeQueries(1)
	allWall, _ := timeQueries(runtime.NumCPU())
	recall, dErr := "n/a", "n/a"
	if keepExact {
		hits, sum := 0, 0.0
		for _, q := range qs {
			got := x.Search("bench", q, 1, nil)
			best, bestUID := float32(math.Inf(1)), ""
			for i, v := range exact {
				var s float32
				for d := range v {
					diff := q[d] - v[d]
					s += diff * diff
				}
				if s < best {
					best, bestUID = s, exactUID[i]
				}
			}
			if got[0].UID == bestUID {
				hits++
			}
			sum += math.Abs(float64(got[0].Dist) - math.Sqrt(float64(best)))
		}
		recall = fmt.Sprintf("%.3f", float64(hits)/float64(len(qs)))
		dErr = fmt.Sprintf("%.5f", sum/float64(len(qs)))
	}
	fmt.Printf("| %d | %.2f | %.2f | %.2f | %.0f | %s | %s |\n", n, oneCPU, oneWall, allWall, perTemplate, recall, dErr)
	runtime.KeepAlive(x)
	return nil
}

func rebuildRow(n, perUID int, profile string) error {
	dir, err := os.MkdirTemp("", "facegate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key := bytes.Repeat([]byte{1}, store.KeySize)
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		return err
	}
	wb := st.NewBatch()
	g := &gen{r: rand.New(rand.NewPCG(1, 1)), perUID: perUID}
	start := time.Now()
	for i := range n {
		uid, v := g.template(i)
		if err := wb.Set(index.Key("bench", uid, fmt.Sprintf("%08x_%013x", i, i)), index.EncodeVector(v)); err != nil {
			st.Close()
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		st.Close()
		return err
	}
	write := time.Since(start)
	if err := st.Close(); err != nil {
		return err
	}
	runtime.GC()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start, cpu0 := time.Now(), cpuTime()
	st, err = store.Open(store.DefaultOptions(dir, key))
	if err != nil {
		return err
	}
	defer st.Close()
	open := time.Since(start)
	x := index.New()
	loaded, err := x.Load(st)
	if err != nil {
		return err
	}
	total, cpu := time.Since(start), cpuTime()-cpu0
	if loaded != n {
		return fmt.Errorf("rebuild loaded %d of %d templates", loaded, n)
	}
	fmt.Printf("\nrebuild from an encrypted Badger store of %d templates (written with a WriteBatch in %.1f s):\n", n, write.Seconds())
	fmt.Printf("| templates | store open s | open + index.Load s (wall) | open + index.Load CPU s (all goroutines) |\n|---:|---:|---:|---:|\n| %d | %.2f | %.2f | %.2f |\n",
		n, open.Seconds(), total.Seconds(), cpu.Seconds())
	return nil
}

// cpuTime is the user+system CPU time of this process: on a machine shared with other work
// it measures the cost of a query on one core better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
