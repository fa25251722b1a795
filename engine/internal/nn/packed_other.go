//go:build !amd64

package nn

func steps(a []float32, k int, offs []int32) int { return stepsGo(a, k, offs) }

func kernRows(a []float32, lda int, offs []int32, cnt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	kernRowsGo(a, lda, offs, cnt, panel, c, ldc, bias, clip)
}

func kernTiles(a []float32, k int, offs []int32, cnts []int, nt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	kernTilesGo(a, k, offs, cnts, nt, panel, c, ldc, bias, clip)
}
