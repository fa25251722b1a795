package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the reference triple loop in float64.
func naiveGemm(a, b, c []float32, m, k, n int) []float64 {
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := float64(c[i*n+j])
			for p := range k {
				s += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			out[i*n+j] = s
		}
	}
	return out
}

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := []struct{ m, k, n int }{
		{1, 1, 1}, {4, 3, 16}, {5, 7, 17}, {9, 33, 32}, {13, 64, 48}, {3, 5, 7}, {64, 288, 32}, {7, 0, 16}, {10, 9, 32}, {11, 5, 48}, {258, 288, 64}, // the last one is split across goroutines
	}
	paths := []struct {
		name string
		simd bool
	}{{"portable", false}, {"simd", haveSIMD}}
	for _, p := range paths {
		for _, s := range shapes {
			t.Run(p.name, func(t *testing.T) {
				old := useSIMD
				useSIMD = p.simd
				defer func() { useSIMD = old }()
				a := randSlice(r, s.m*s.k, 0.3)
				b := randSlice(r, s.k*s.n, 0)
				c := randSlice(r, s.m*s.n, 0)
				want := naiveGemm(a, b, c, s.m, s.k, s.n)
				Gemm(a, b, c, s.m, s.k, s.n)
				for i := range want {
					if d := math.Abs(float64(c[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
						t.Fatalf("%dx%dx%d: c[%d] = %v, want %v", s.m, s.k, s.n, i, c[i], want[i])
					}
				}
			})
		}
	}
}
