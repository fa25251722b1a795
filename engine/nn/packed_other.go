//go:build !amd64

package nn

func kernPacked(vals []float32, offs []int32, cnt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	kernPackedGo(vals, offs, cnt, panel, c, ldc, bias, clip)
}
