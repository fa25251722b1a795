package faceapi

import "math"

// Distance returns the Euclidean distance between two descriptors.
func Distance(a, b [128]float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return float32(math.Sqrt(float64(s)))
}
