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

// dw3x3AVX adds one interior output pixel of a 3×3 depthwise conv to dst (c channels, a
// multiple of 8); r0…r2 are the window's input rows, w the filter ([ky][kx][c]).
//
//go:noescape
func dw3x3AVX(dst, r0, r1, r2, w *float32, c int)

// dw3x3 adds the 3×3 window (rows r0…r2, each 3·c floats) times filter w to dst, with
// AVX2/FMA when available; it reports false when the caller must do it.
func dw3x3(dst, r0, r1, r2, w []float32) bool {
	c := len(dst)
	if !useSIMD || c%8 != 0 || c == 0 || len(r0) < 3*c || len(r1) < 3*c || len(r2) < 3*c || len(w) < 9*c {
		return false
	}
	dw3x3AVX(&dst[0], &r0[0], &r1[0], &r2[0], &w[0], c)
	return true
}

// dwRowAVX computes n interior output pixels of a 3×3 depthwise conv with its per-channel
// affine and ReLU6 (see dw_amd64.s).
//
//go:noescape
func dwRowAVX(dst, src *float32, rowStride int, w, scale, shift *float32, c, n, step int)

// dwRow computes n consecutive output pixels of a 3×3 depthwise conv at the given stride,
// each followed by clip(v·scale + shift, 0, 6), into dst (n·c floats): src starts at the
// first window's top-left input pixel, input rows are w·c floats long. It reports false
// when the caller must do it (no AVX2, or c not a multiple of 8).
func dwRow(dst, src []float32, w, c, n, stride int, f, scale, shift []float32) bool {
	if !useSIMD || c%8 != 0 || c == 0 || n <= 0 {
		return false
	}
	_ = dst[n*c-1]
	_ = src[2*w*c+((n-1)*stride+2)*c+c-1]
	_ = f[9*c-1]
	_ = scale[c-1]
	_ = shift[c-1]
	dwRowAVX(&dst[0], &src[0], 4*w*c, &f[0], &scale[0], &shift[0], c, n, 4*stride*c)
	return true
}
