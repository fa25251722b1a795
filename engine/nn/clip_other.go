//go:build !amd64

package nn

// clip6 clips x to [0, 6] in place.
func clip6(x []float32) { clip6Go(x) }
