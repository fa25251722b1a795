package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/facegate/facegate/store"
)

// BenchmarkLoad measures rebuilding the index from an on-disk encrypted store.
func BenchmarkLoad(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	key := bytes.Repeat([]byte{1}, store.KeySize)
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	wb := st.NewBatch()
	r := rand.New(rand.NewPCG(8, 8))
	for i := range n {
		if err := wb.Set(Key("bench", fmt.Sprintf("u%08d@bench", i/4), fmt.Sprintf("%08x_%013x", i, i)), EncodeVector(randVec(r))); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if got, err := New().Load(st); err != nil || got != n {
			b.Fatalf("Load = %d, %v", got, err)
		}
	}
}
