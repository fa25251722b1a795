package index

import "math"

// Mean is the template of a person enrolled with several descriptors: their mean,
// scaled to the mean of their lengths (so that it has a descriptor's usual length).
// Averaging cancels part of each photo's pose, light and expression: a new photo of the
// person lies closer to the mean than to a single descriptor, and so does everybody
// else's (see faceapi.MeanTemplateDistance). Measured with `go run ./tests/bench
// open-set-templates` (BENCHMARKS.md, open-set identification); the plain mean measured
// the same. It returns the zero vector for no descriptors or ones that cancel out.
func Mean(vs [][Dim]float32) [Dim]float32 {
	var m [Dim]float32
	if len(vs) == 0 {
		return m
	}
	var sum [Dim]float64
	var length float64
	for _, v := range vs {
		var n float64
		for i, x := range v {
			sum[i] += float64(x)
			n += float64(x) * float64(x)
		}
		length += math.Sqrt(n)
	}
	length /= float64(len(vs))
	var n float64
	for _, x := range sum {
		n += x * x
	}
	n = math.Sqrt(n)
	if !(n > 0) {
		return m
	}
	for i, x := range sum {
		m[i] = float32(x / n * length)
	}
	return m
}
