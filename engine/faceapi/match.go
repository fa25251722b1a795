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
// same person, for descriptors from Descriptor (DefaultOptions). Calibrated on the 3000
// LFW pairs (BENCHMARKS.md, "face descriptor"): the accuracy-optimal single threshold was
// 0.603 and the per-fold thresholds 0.602–0.614; 0.60 errs slightly towards fewer false
// accepts. It happens to equal face-api's default.
const DefaultThreshold = 0.60

// ConfidenceSlope is the logistic slope (per unit of distance) of Confidence: a logistic
// regression of same/different on distance over the LFW pairs gave 46.5 (midpoint 0.613).
const ConfidenceSlope = 45

// Confidence maps a descriptor distance to SkyBiometry's 0–100 confidence: a logistic
// curve fitted on LFW, centred on DefaultThreshold, so a tag threshold of 50 means
// "distance below DefaultThreshold". Roughly: d 0.50 → 99, 0.55 → 90, 0.60 → 50,
// 0.65 → 10, 0.70 → 1.
func Confidence(d float32) int {
	if math.IsNaN(float64(d)) {
		return 0
	}
	c := 100 / (1 + math.Exp(ConfidenceSlope*(float64(d)-DefaultThreshold)))
	return int(math.Round(c))
}
