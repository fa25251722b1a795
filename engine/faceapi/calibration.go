package faceapi

import "math"

// Open-set calibration of the default descriptor (Descriptor with DefaultOptions).
//
// A search of one face among N enrolled identities goes wrong for a stranger when any of
// the N is closer than the decision distance. FalseMatchRate is the chance that one
// unrelated face lies within distance d; for N identities searched, the chance that a
// stranger's best candidate does is ExpectedFPIR(d, N) = 1 − (1 − FMR(d))^N.
//
// FMR(d) is a fit of log10 FMR(d) = fmrA + fmrB·d + fmrC·d² to the 678,035 impostor
// distances between the centre faces of LFW images of different people of pairs.txt folds
// 1 and 2 (`go run ./tests/bench open-set-calibrate --folds 1,2`; fitted for FMR from
// 1.5e-5 to 0.1, where it is within 25 % of the measured rate). Below the
// fitted range it continues along its tangent, which errs towards more false matches than
// the parabola would. The open-set figures in BENCHMARKS.md are measured on the people of
// folds 3 to 5 only, whose own impostor distances give nearly the same fit.
const (
	fmrA = -16.6227
	fmrB = 35.6708
	fmrC = -18.8727
	// fmrFitMin is the smallest distance of the fit; below it FMR is extrapolated.
	fmrFitMin = 0.4263
)

// FalseMatchRate is the expected share of unrelated faces whose descriptor lies within
// distance d of a given face's (0…1).
func FalseMatchRate(d float32) float64 {
	x := float64(d)
	if math.IsNaN(x) {
		return 1
	}
	// the parabola peaks at its vertex; FMR only grows with d
	x = math.Min(x, -fmrB/(2*fmrC))
	lg := fmrA + fmrB*x + fmrC*x*x
	if x < fmrFitMin {
		lg = fmrA + fmrB*fmrFitMin + fmrC*fmrFitMin*fmrFitMin + (fmrB+2*fmrC*fmrFitMin)*(x-fmrFitMin)
	}
	return math.Min(1, math.Pow(10, lg))
}

// ExpectedFPIR is the expected false-positive identification rate of a search among n
// identities accepted at distance ≤ d: the chance that a stranger's best candidate is
// that close, 1 − (1 − FalseMatchRate(d))^n, assuming independent impostor distances.
func ExpectedFPIR(d float32, n int) float64 {
	p := FalseMatchRate(d)
	if n <= 1 {
		return p
	}
	// −expm1(n·log1p(−p)) keeps precision when p is tiny
	return -math.Expm1(float64(n) * math.Log1p(-math.Min(p, 1-1e-16)))
}

// SearchConfidencePerDecade is how many confidence points one decade of expected
// false-positive rate is worth in SearchConfidence.
const SearchConfidencePerDecade = 25

// SearchConfidence maps the distance of a candidate found among n identities to
// SkyBiometry's 0–100 confidence on a log scale of the expected false-accept rate: at
// confidence C with n uids searched, a stranger reaches C with probability
// 10^(−C/25), i.e. 25 → 10 %, 50 → 1 %, 75 → 0.1 %, 100 → 0.01 % or less.
func SearchConfidence(d float32, n int) int {
	e := ExpectedFPIR(d, max(n, 1))
	if e <= 0 {
		return 100
	}
	c := -SearchConfidencePerDecade * math.Log10(e)
	return int(math.Round(math.Max(0, math.Min(100, c))))
}

// SearchThreshold is the confidence faces/recognize recommends: 50, an expected
// false-positive identification rate of 1 % whatever the number of uids searched.
const SearchThreshold = 50

// meanTemplateNoise is σ², the variance of one photo's part of a descriptor (pose, light,
// expression): with descriptor = person + photo noise, the squared distance from any face
// to the mean of k descriptors of one person is σ²(1 − 1/k) smaller than to one of them,
// for strangers as for the person. Chosen on LFW folds 1–2 so that strangers reach the
// calibrated threshold at the promised rate with two-photo templates (`go run ./tests/bench
// open-set-templates --folds 1,2`; checked on folds 3–5, BENCHMARKS.md).
const meanTemplateNoise = 0.04

// MeanTemplateDistance puts the distance d from a face to the mean of k ≥ 2 descriptors of
// one person (index.Mean) back on the scale of the distance to one descriptor, on which
// FalseMatchRate and SearchConfidence are calibrated: √(d² + σ²(1 − 1/k)).
func MeanTemplateDistance(d float32, k int) float32 {
	if k < 2 || math.IsNaN(float64(d)) {
		return d
	}
	return float32(math.Sqrt(float64(d)*float64(d) + meanTemplateNoise*(1-1/float64(k))))
}
