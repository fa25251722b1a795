package nn

// kernPacked6x16 is the AVX2/FMA packed micro-kernel: for s < cnt, the six values at
// vals[6s…] times the panel row at byte offset offs[s] are accumulated into a 6×16 tile,
// which is stored to c (row stride ldc floats) plus bias, clipped to [0, 6] when clip ≠ 0.
//
//go:noescape
func kernPacked6x16(vals *float32, offs *int32, cnt int, panel, c *float32, ldc int, bias *[16]float32, clip int)

// kernPacked stores one 6×16 output tile of the packed GEMM (see kernPackedGo).
func kernPacked(vals []float32, offs []int32, cnt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	if !useSIMD {
		kernPackedGo(vals, offs, cnt, panel, c, ldc, bias, clip)
		return
	}
	// Bounds checks for everything the kernel reads and writes.
	_ = vals[tileRows*max(cnt, 1)-1]
	_ = offs[max(cnt, 1)-1]
	_ = c[(tileRows-1)*ldc+15]
	cl := 0
	if clip {
		cl = 1
	}
	kernPacked6x16(&vals[0], &offs[0], cnt, &panel[0], &c[0], ldc, bias, cl)
}
