package faceapi

import (
	"math"
	"testing"
)

func TestFalseMatchRateMonotone(t *testing.T) {
	prev := -1.0
	for d := float32(0); d <= 1.6; d += 0.01 {
		p := FalseMatchRate(d)
		if p < prev || p < 0 || p > 1 {
			t.Fatalf("FalseMatchRate(%.2f) = %g after %g: want non-decreasing within [0, 1]", d, p, prev)
		}
		prev = p
	}
	if FalseMatchRate(DefaultThreshold) >= 0.1 || FalseMatchRate(0.3) >= FalseMatchRate(DefaultThreshold) {
		t.Fatalf("FalseMatchRate(0.3) = %g, (%.2f) = %g: want rare impostors at the verification threshold",
			FalseMatchRate(0.3), DefaultThreshold, FalseMatchRate(DefaultThreshold))
	}
	if p := FalseMatchRate(float32(math.NaN())); p != 1 {
		t.Fatalf("FalseMatchRate(NaN) = %g, want 1", p)
	}
}

func TestExpectedFPIR(t *testing.T) {
	d := float32(0.5)
	p := FalseMatchRate(d)
	if got := ExpectedFPIR(d, 1); got != p {
		t.Fatalf("ExpectedFPIR(d, 1) = %g, want FalseMatchRate %g", got, p)
	}
	prev := 0.0
	for _, n := range []int{1, 10, 100, 1000, 10000, 1000000} {
		e := ExpectedFPIR(d, n)
		want := 1 - math.Pow(1-p, float64(n))
		if e < prev || math.Abs(e-want) > 1e-9+1e-6*want {
			t.Fatalf("ExpectedFPIR(%.2f, %d) = %g, want %g and growing with n", d, n, e, want)
		}
		prev = e
	}
}

func TestSearchConfidence(t *testing.T) {
	// decreasing in distance and in the number of uids searched
	for _, n := range []int{1, 100, 10000} {
		prev := 101
		for d := float32(0); d <= 1.4; d += 0.02 {
			c := SearchConfidence(d, n)
			if c > prev || c < 0 || c > 100 {
				t.Fatalf("SearchConfidence(%.2f, %d) = %d after %d: want non-increasing within [0, 100]", d, n, c, prev)
			}
			prev = c
		}
	}
	for d := float32(0.3); d <= 0.7; d += 0.05 {
		if SearchConfidence(d, 10) < SearchConfidence(d, 10000) {
			t.Fatalf("SearchConfidence(%.2f): more uids gave more confidence", d)
		}
	}
	// the documented scale: confidence C means an expected false-accept rate of 10^(−C/25)
	tests := []struct {
		fpir float64
		want int
	}{{0.1, 25}, {0.01, SearchThreshold}, {0.001, 75}}
	for _, tt := range tests {
		for _, n := range []int{1, 1000} {
			d := distanceForFPIR(tt.fpir, n)
			if c := SearchConfidence(d, n); c < tt.want-1 || c > tt.want+1 {
				t.Errorf("at expected FPIR %g with %d uids (d = %.4f): confidence %d, want %d", tt.fpir, n, d, c, tt.want)
			}
		}
	}
}

// distanceForFPIR bisects for the distance whose ExpectedFPIR with n uids is fpir.
func distanceForFPIR(fpir float64, n int) float32 {
	lo, hi := float32(0), float32(1.5)
	for range 60 {
		mid := (lo + hi) / 2
		if ExpectedFPIR(mid, n) < fpir {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func TestMeanTemplateDistance(t *testing.T) {
	if d := MeanTemplateDistance(0.5, 1); d != 0.5 {
		t.Fatalf("one descriptor: %v, want unchanged", d)
	}
	prev := float32(0.5)
	for k := 2; k <= 6; k++ {
		d := MeanTemplateDistance(0.5, k)
		want := float32(math.Sqrt(0.25 + meanTemplateNoise*(1-1/float64(k))))
		if math.Abs(float64(d-want)) > 1e-6 || d <= prev {
			t.Fatalf("k=%d: %v, want %v (and more than for k-1, %v)", k, d, want, prev)
		}
		prev = d
	}
	// a stranger's distance to a two-photo mean confers no more confidence than the same
	// corrected distance to one photo: the mean's 0.55 is worth a single's ≈ 0.568
	if c1, c2 := SearchConfidence(0.55, 100), SearchConfidence(MeanTemplateDistance(0.55, 2), 100); c2 >= c1 {
		t.Fatalf("corrected confidence %d, raw %d: the mean's advantage was not taken back", c2, c1)
	}
	if d := MeanTemplateDistance(float32(math.NaN()), 3); !math.IsNaN(float64(d)) {
		t.Fatalf("NaN: %v", d)
	}
}
