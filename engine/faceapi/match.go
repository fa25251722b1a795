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

// DefaultThreshold is the descriptor distance below which two faces are taken to be the
// same person. It is calibrated on the LFW pairs with the default alignment (see
// BENCHMARKS.md); face-api's own default is 0.6.
const DefaultThreshold = 0.5

// ConfidenceSlope is the logistic slope (per unit of distance) of Confidence.
const ConfidenceSlope = 20

// Confidence maps a descriptor distance to SkyBiometry's 0–100 confidence: a logistic
// curve that gives 50 at DefaultThreshold, so a tag threshold of 50 means "distance below
// DefaultThreshold".
func Confidence(d float32) int {
	if math.IsNaN(float64(d)) {
		return 0
	}
	c := 100 / (1 + math.Exp(ConfidenceSlope*(float64(d)-DefaultThreshold)))
	return int(math.Round(c))
}
