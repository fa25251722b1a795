package index

import (
	"math/rand/v2"
	"testing"
)

// TestDotBatch checks the batch kernel in use (AVX2 on capable amd64) against the scalar dot
// product, including extreme values and odd batch lengths.
func TestDotBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{0, 1, 3, 256, 257} {
		rows := make([]int8, n*Dim)
		for i := range rows {
			switch i % 7 {
			case 0:
				rows[i] = 127
			case 1:
				rows[i] = -127
			default:
				rows[i] = int8(r.IntN(255) - 127)
			}
		}
		var q [Dim]int8
		for i := range q {
			q[i] = int8(r.IntN(255) - 127)
		}
		q[0], q[1] = -127, 127
		q16 := widen(&q)
		got := make([]int32, n)
		dotBatch(&q, &q16, rows, got)
		for i := range got {
			if want := dot(&q, (*[Dim]int8)(rows[i*Dim:(i+1)*Dim])); got[i] != want {
				t.Fatalf("n=%d row %d: %d, want %d", n, i, got[i], want)
			}
		}
	}
}

func BenchmarkScan100k(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	x := New()
	fill(x, "ns", 100_000, 25_000, r)
	q := randVec(r)
	b.ResetTimer()
	for b.Loop() {
		x.Search("ns", q, 10, nil)
	}
}
