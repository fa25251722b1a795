package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/facegate/facegate/store"
)

func TestLoadWithProgressReportsAlongTheWay(t *testing.T) {
	const n = 3*loadCheckEvery + 100
	dir, key := t.TempDir(), bytes.Repeat([]byte{3}, store.KeySize)
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	wb := st.NewBatch()
	r := rand.New(rand.NewPCG(6, 6))
	for i := range n {
		if err := wb.Set(Key("p", fmt.Sprintf("u%d", i%7), fmt.Sprintf("t%06d", i)), EncodeVector(randVec(r))); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the templates are in on-disk tables, which the estimate counts.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = store.Open(store.Options{Dir: dir, EncryptionKey: key}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if e := st.EstimateKeys(KeyPrefix); e < n {
		t.Errorf("estimate %d below the %d templates on disk", e, n)
	}
	var seen []LoadProgress
	x := New()
	got, err := x.LoadWithProgress(st, time.Nanosecond, func(p LoadProgress) { seen = append(seen, p) })
	if err != nil || got.Done != n {
		t.Fatalf("LoadWithProgress = %+v, %v", got, err)
	}
	seen = append(seen, got)
	if x.LastLoad() != got {
		t.Errorf("LastLoad = %+v, want %+v", x.LastLoad(), got)
	}
	if (New().LastLoad() != LoadProgress{}) {
		t.Error("a new index reports a load")
	}
	if len(seen) != 4 { // at 4096, 8192, 12288, then the end
		t.Fatalf("%d reports: %+v", len(seen), seen)
	}
	for i, p := range seen {
		if i > 0 && (p.Done <= seen[i-1].Done || p.Elapsed < seen[i-1].Elapsed) {
			t.Errorf("report %d went backwards: %+v after %+v", i, p, seen[i-1])
		}
		if p.Estimate < p.Done {
			t.Errorf("estimate %d below loaded %d", p.Estimate, p.Done)
		}
	}
	last := seen[len(seen)-1]
	if last.Done != n || last.Rate() <= 0 || last.ETA() != 0 {
		t.Errorf("last report %+v rate %v eta %v", last, last.Rate(), last.ETA())
	}
	if x.Len("p") != n {
		t.Errorf("index holds %d templates, want %d", x.Len("p"), n)
	}
	// No progress func, no reports, same load.
	if got, err := New().LoadWithProgress(st, time.Nanosecond, nil); err != nil || got.Done != n {
		t.Errorf("without progress: %+v, %v", got, err)
	}
}

func TestLoadProgressETA(t *testing.T) {
	p := LoadProgress{Done: 1000, Estimate: 3000, Elapsed: 2 * time.Second}
	if p.Rate() != 500 || p.ETA() != 4*time.Second {
		t.Errorf("rate %v eta %v, want 500/s and 4s", p.Rate(), p.ETA())
	}
	if (LoadProgress{Done: 5}).ETA() != 0 || (LoadProgress{}).Rate() != 0 {
		t.Error("no time passed: want no rate and no ETA")
	}
}
