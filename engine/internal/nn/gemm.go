package nn

// gemmRows computes C[i,:] += A[i,:]·B for rows lo ≤ i < hi, where A is M×K, B is K×N and
// C is M×N, all row-major. Rows are taken four at a time so that every loaded row of B
// feeds four accumulating rows of C.
func gemmRows(a, b, c []float32, k, n, lo, hi int) {
	i := lo
	for ; i+4 <= hi; i += 4 {
		a0 := a[i*k : i*k+k]
		a1 := a[(i+1)*k : (i+1)*k+k]
		a2 := a[(i+2)*k : (i+2)*k+k]
		a3 := a[(i+3)*k : (i+3)*k+k]
		c0 := c[i*n : i*n+n]
		c1 := c[(i+1)*n : (i+1)*n+n]
		c2 := c[(i+2)*n : (i+2)*n+n]
		c3 := c[(i+3)*n : (i+3)*n+n]
		for p := 0; p < k; p++ {
			x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
			if x0 == 0 && x1 == 0 && x2 == 0 && x3 == 0 {
				continue // ReLU outputs and zero padding are often zero
			}
			br := b[p*n : p*n+n]
			br = br[:len(c0)]
			c1 := c1[:len(br)]
			c2 := c2[:len(br)]
			c3 := c3[:len(br)]
			for j, w := range br {
				c0[j] += x0 * w
				c1[j] += x1 * w
				c2[j] += x2 * w
				c3[j] += x3 * w
			}
		}
	}
	for ; i < hi; i++ {
		ar := a[i*k : i*k+k]
		cr := c[i*n : i*n+n]
		for p, x := range ar {
			if x == 0 {
				continue
			}
			br := b[p*n : p*n+n]
			br = br[:len(cr)]
			for j, w := range br {
				cr[j] += x * w
			}
		}
	}
}

// gemmJob is a parallel GEMM over row ranges.
type gemmJob struct {
	a, b, c []float32
	k, n    int
}

func (g *gemmJob) run(lo, hi int) {
	if useSIMD {
		gemmSIMD(g.a, g.b, g.c, g.k, g.n, lo, hi)
	} else {
		gemmRows(g.a, g.b, g.c, g.k, g.n, lo, hi)
	}
}

// useSIMD selects the assembly kernel where the CPU has it; tests turn it off to check
// the portable path.
var useSIMD = haveSIMD

// SetSIMD enables or disables the assembly GEMM kernels (they are used only where the CPU
// supports them) and returns the previous setting. It is meant for tests and benchmarks
// that compare the portable path; do not call it while inference is running.
func SetSIMD(on bool) (was bool) {
	was = useSIMD
	useSIMD = on && haveSIMD
	return was
}

// gemmCols is gemmRows restricted to columns j0 ≤ j < n.
func gemmCols(a, b, c []float32, k, n, lo, hi, j0 int) {
	for i := lo; i < hi; i++ {
		ar := a[i*k : i*k+k]
		cr := c[i*n+j0 : i*n+n]
		for p, x := range ar {
			if x == 0 {
				continue
			}
			br := b[p*n+j0 : p*n+n]
			br = br[:len(cr)]
			for j, w := range br {
				cr[j] += x * w
			}
		}
	}
}

// Gemm accumulates C += A·B (A M×K, B K×N, C M×N, row-major), splitting rows of C across
// goroutines when the product is large enough to pay for it.
func Gemm(a, b, c []float32, m, k, n int) {
	if !worthSplitting(m, 4, m*k*n) {
		// Inline path: no job value escapes, so warm inference allocates nothing.
		if useSIMD {
			gemmSIMD(a, b, c, k, n, 0, m)
		} else {
			gemmRows(a, b, c, k, n, 0, m)
		}
		return
	}
	parallelFor(m, 4, &gemmJob{a: a, b: b, c: c, k: k, n: n})
}
