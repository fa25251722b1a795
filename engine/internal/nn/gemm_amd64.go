package nn

import "golang.org/x/sys/cpu"

// kern4x16 is an AVX2/FMA micro-kernel: C[0:4,0:16] += A[0:4,0:k]·B[0:k,0:16].
//
//go:noescape
func kern4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int)

// kern6x16 is the main AVX2/FMA micro-kernel: C[0:6,0:16] += A[0:6,0:k]·B[0:k,0:16].
//
//go:noescape
func kern6x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int)

// haveSIMD reports whether the AVX2/FMA kernels can run on this CPU.
var haveSIMD = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemmSIMD computes rows [lo, hi) of C += A·B with the assembly kernels on 6×16 tiles (4×16
// for the leftover rows) and the portable loops for the remaining rows and columns.
func gemmSIMD(a, b, c []float32, k, n, lo, hi int) {
	n16 := n &^ 15
	if n16 == 0 || k == 0 || hi-lo < 4 {
		gemmRows(a, b, c, k, n, lo, hi)
		return
	}
	rows6 := (hi - lo) / 6 * 6
	rows4 := (hi - lo - rows6) &^ 3
	rows := rows6 + rows4
	// Bounds checks for all tiles, so the kernels never read outside the slices.
	_ = a[(lo+rows-1)*k+k-1]
	_ = c[(lo+rows-1)*n+n-1]
	_ = b[(k-1)*n+n-1]
	tile := func(r, j int) {
		if r < lo+rows6 {
			kern6x16(&a[r*k], k, &b[j], n, &c[r*n+j], n, k)
		} else {
			kern4x16(&a[r*k], k, &b[j], n, &c[r*n+j], n, k)
		}
	}
	next := func(r int) int {
		if r < lo+rows6 {
			return r + 6
		}
		return r + 4
	}
	if rows*k*4 <= 256<<10 {
		// Few rows (late, weight-heavy layers): keep one K×16 panel of B in cache while
		// all row tiles use it, instead of streaming all of B per row tile.
		for j := 0; j < n16; j += 16 {
			for r := lo; r < lo+rows; r = next(r) {
				tile(r, j)
			}
		}
	} else {
		for r := lo; r < lo+rows; r = next(r) {
			for j := 0; j < n16; j += 16 {
				tile(r, j)
			}
		}
	}
	if n16 < n {
		gemmCols(a, b, c, k, n, lo, lo+rows, n16)
	}
	if lo+rows < hi {
		gemmRows(a, b, c, k, n, lo+rows, hi)
	}
}
