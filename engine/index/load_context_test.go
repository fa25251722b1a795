package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/facegate/facegate/store"
)

// LoadContext stops reading once its context is done: the error wraps the
// context's, fewer templates than stored were read, and nothing is
// recorded as the last load. An uncancelled context loads everything.
func TestLoadContextStops(t *testing.T) {
	const n = 4*loadCheckEvery + 10
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{4}, store.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wb := st.NewBatch()
	r := rand.New(rand.NewPCG(8, 8))
	for i := range n {
		if err := wb.Set(Key("c", fmt.Sprintf("u%d", i%11), fmt.Sprintf("t%06d", i)), EncodeVector(randVec(r))); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	x := New()
	reports := 0
	got, err := x.LoadContext(ctx, st, time.Nanosecond, func(LoadProgress) {
		if reports++; reports == 1 {
			cancel() // the next look at the context stops the load
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled load: %+v, %v", got, err)
	}
	if got.Done >= n || got.Done < loadCheckEvery {
		t.Errorf("cancelled load read %d of %d templates, want it stopped after the first report", got.Done, n)
	}
	if x.LastLoad().Done != 0 {
		t.Errorf("a stopped load was recorded as the last load: %+v", x.LastLoad())
	}

	y := New()
	full, err := y.LoadContext(context.Background(), st, time.Hour, nil)
	if err != nil || full.Done != n || y.Len("c") != n {
		t.Errorf("full load: %+v, %v, %d in the index", full, err, y.Len("c"))
	}
}
