//go:build !amd64

package nn

const haveSIMD = false

func gemmSIMD(a, b, c []float32, k, n, lo, hi int) { gemmRows(a, b, c, k, n, lo, hi) }
