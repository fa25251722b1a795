package nn

import "golang.org/x/sys/cpu"

// kern4x16 is the AVX2/FMA micro-kernel: C[0:4,0:16] += A[0:4,0:k]·B[0:k,0:16].
//
//go:noescape
func kern4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int)

// haveSIMD reports whether the AVX2/FMA kernel can run on this CPU.
var haveSIMD = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemmSIMD computes rows [lo, hi) of C += A·B with the assembly kernel on 4×16 tiles and
// the portable loops for the leftover rows and columns.
func gemmSIMD(a, b, c []float32, k, n, lo, hi int) {
	n16 := n &^ 15
	i := lo
	if n16 > 0 && k > 0 {
		rows := (hi - lo) &^ 3
		// Bounds checks for all tiles, so the kernel never reads outside the slices.
		if rows > 0 {
			_ = a[(lo+rows-1)*k+k-1]
			_ = c[(lo+rows-1)*n+n-1]
			_ = b[(k-1)*n+n-1]
		}
		if rows*k*4 <= 256<<10 {
			// Few rows (late, weight-heavy layers): keep one K×16 panel of B in cache
			// while all row tiles use it, instead of streaming all of B per row tile.
			for j := 0; j < n16; j += 16 {
				for r := lo; r < lo+rows; r += 4 {
					kern4x16(&a[r*k], k, &b[j], n, &c[r*n+j], n, k)
				}
			}
		} else {
			for r := lo; r < lo+rows; r += 4 {
				for j := 0; j < n16; j += 16 {
					kern4x16(&a[r*k], k, &b[j], n, &c[r*n+j], n, k)
				}
			}
		}
		if n16 < n && rows > 0 {
			gemmCols(a, b, c, k, n, lo, lo+rows, n16)
		}
		i = lo + rows
	}
	if i < hi {
		gemmRows(a, b, c, k, n, i, hi)
	}
}
