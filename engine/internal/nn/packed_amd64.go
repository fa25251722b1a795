package nn

// kernRows6x16 is the AVX2/FMA micro-kernel of the packed GEMM (see kernRowsGo).
//
//go:noescape
func kernRows6x16(a *float32, lda int, offs *int32, cnt int, panel, c *float32, ldc int, bias *[16]float32, clip int)

// kernTiles6x16 is kernRows6x16 over nt consecutive full tiles (see kernTilesGo).
//
//go:noescape
func kernTiles6x16(a *float32, lda int, offs *int32, offsStride int, cnts *int, nt int, panel, c *float32, ldc int, bias *[16]float32, clip int)

// nonzeroSteps is steps with AVX2, eight columns at a time (see stepsGo).
//
//go:noescape
func nonzeroSteps(a *float32, lda, k int, offs *int32) int

// steps lists the columns p < k where any of the six rows of a (6×k) is non-zero, as 4·p,
// and returns how many there are.
func steps(a []float32, k int, offs []int32) int {
	if !useSIMD {
		return stepsGo(a, k, offs)
	}
	_ = a[tileRows*k-1]
	_ = offs[k-1]
	return nonzeroSteps(&a[0], k, k, &offs[0])
}

// kernRows stores one 6×16 output tile of the packed GEMM (see kernRowsGo).
func kernRows(a []float32, lda int, offs []int32, cnt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	if !useSIMD {
		kernRowsGo(a, lda, offs, cnt, panel, c, ldc, bias, clip)
		return
	}
	// Bounds checks for everything the kernel reads and writes (offs holds columns < lda
	// of rows that exist, and panel has 16 floats per column).
	_ = a[(tileRows-1)*lda+lda-1]
	_ = offs[max(cnt, 1)-1]
	_ = panel[16*lda-1]
	_ = c[(tileRows-1)*ldc+15]
	cl := 0
	if clip {
		cl = 1
	}
	kernRows6x16(&a[0], lda, &offs[0], cnt, &panel[0], &c[0], ldc, bias, cl)
}

// kernTiles stores nt consecutive full 6×16 output tiles of one panel (see kernTilesGo).
func kernTiles(a []float32, k int, offs []int32, cnts []int, nt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	if !useSIMD {
		kernTilesGo(a, k, offs, cnts, nt, panel, c, ldc, bias, clip)
		return
	}
	if nt <= 0 {
		return
	}
	_ = a[nt*tileRows*k-1]
	_ = offs[nt*k-1]
	_ = cnts[nt-1]
	_ = panel[16*k-1]
	_ = c[(nt*tileRows-1)*ldc+15]
	cl := 0
	if clip {
		cl = 1
	}
	kernTiles6x16(&a[0], k, &offs[0], k, &cnts[0], nt, &panel[0], &c[0], ldc, bias, cl)
}
