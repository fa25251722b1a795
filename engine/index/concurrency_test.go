package index

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentUse mixes writers and searchers on shared namespaces; run with -race.
func TestConcurrentUse(t *testing.T) {
	x := New()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			ns := fmt.Sprint("ns", w%2)
			for i := range 300 {
				tid := fmt.Sprintf("w%d-t%d", w, i)
				x.Add(ns, fmt.Sprintf("u%d", i%7), tid, randVec(r))
				x.Search(ns, randVec(r), 3, nil)
				if i%5 == 0 {
					x.RemoveTID(ns, tid)
				}
				if i%97 == 0 {
					x.RemoveUID(ns, "u3")
				}
			}
		})
	}
	wg.Wait()
	total := x.Len("ns0") + x.Len("ns1")
	if total == 0 || total > 4*300 {
		t.Fatalf("implausible size %d", total)
	}
	for _, ns := range []string{"ns0", "ns1"} {
		n := 0
		for _, u := range x.UIDs(ns) {
			n += len(x.Search(ns, [Dim]float32{1}, 100, map[string]bool{u: true}))
		}
		if n != len(x.UIDs(ns)) {
			t.Fatalf("%s: uid table inconsistent with rows", ns)
		}
	}
}
