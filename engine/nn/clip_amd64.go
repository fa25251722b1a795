package nn

// clipAVX sets x[i] = min(max(x[i], lo), hi) for the n floats at x, with AVX.
//
//go:noescape
func clipAVX(x *float32, n int, lo, hi float32)

// clip6 clips x to [0, 6] in place, with AVX when the SIMD path is on.
func clip6(x []float32) {
	if useSIMD && len(x) > 0 {
		clipAVX(&x[0], len(x), 0, 6)
		return
	}
	clip6Go(x)
}
