package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var gemmShapes = []struct{ m, k, n int }{
	{1225, 288, 32}, {289, 576, 64}, {64, 1152, 128}, {16, 2304, 256}, {5184, 147, 32},
}

func randSlice(r *rand.Rand, n int, zeroFrac float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		if r.Float64() >= zeroFrac {
			s[i] = r.Float32()*2 - 1
		}
	}
	return s
}

func BenchmarkGemmShapes(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range gemmShapes {
		a := randSlice(r, s.m*s.k, 0.5)
		w := randSlice(r, s.k*s.n, 0)
		c := make([]float32, s.m*s.n)
		for _, simd := range []bool{false, true} {
			name := fmt.Sprintf("%dx%dx%d/portable", s.m, s.k, s.n)
			if simd {
				name = fmt.Sprintf("%dx%dx%d/simd", s.m, s.k, s.n)
			}
			b.Run(name, func(b *testing.B) {
				if simd && !haveSIMD {
					b.Skip("no AVX2/FMA")
				}
				for b.Loop() {
					if simd {
						gemmSIMD(a, w, c, s.k, s.n, 0, s.m)
					} else {
						gemmRows(a, w, c, s.k, s.n, 0, s.m)
					}
				}
				b.ReportMetric(float64(2*s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
