//go:build !amd64

package nn

// clip6 clips x to [0, 6] in place.
func clip6(x []float32) { clip6Go(x) }

// dw3x3 has no portable fast path: the caller computes the window.
func dw3x3(dst, r0, r1, r2, w []float32) bool { return false }

// dwRow has no portable fast path: the caller computes the pixels.
func dwRow(dst, src []float32, w, c, n, stride int, f, scale, shift []float32) bool { return false }
