package faceapi

import (
	"math"
	"testing"
)

func TestFalseMatchDistanceInvertsFalseMatchRate(t *testing.T) {
	for _, p := range []float64{1e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.3} {
		d := FalseMatchDistance(p)
		if got := FalseMatchRate(d); math.Abs(math.Log10(got/p)) > 1e-3 {
			t.Errorf("FalseMatchRate(FalseMatchDistance(%g) = %.4f) = %g", p, d, got)
		}
	}
	if FalseMatchDistance(1e-3) >= FalseMatchDistance(1e-2) {
		t.Fatal("FalseMatchDistance is not increasing")
	}
	for _, p := range []float64{0, -1, math.NaN()} {
		if d := FalseMatchDistance(p); d != 0 {
			t.Errorf("FalseMatchDistance(%v) = %v, want 0", p, d)
		}
	}
}

func TestExpectedCohortMean(t *testing.T) {
	prev := float32(2)
	for _, n := range []int{20, 100, 1000, 10000} {
		m := ExpectedCohortMean(n, CohortSize)
		if m >= prev || m <= 0 {
			t.Fatalf("ExpectedCohortMean(%d) = %v after %v: want positive and falling with n", n, m, prev)
		}
		prev = m
	}
	// among 3 uids the cohort is the 2nd and 3rd nearest
	want := (FalseMatchDistance(2.0/4) + FalseMatchDistance(3.0/4)) / 2
	if m := ExpectedCohortMean(3, CohortSize); math.Abs(float64(m-want)) > 1e-6 {
		t.Fatalf("ExpectedCohortMean(3) = %v, want %v", m, want)
	}
	if m := ExpectedCohortMean(1, CohortSize); m != 0 {
		t.Fatalf("ExpectedCohortMean(1) = %v, want 0 (no cohort)", m)
	}
}

func TestCohortShift(t *testing.T) {
	n := 1000
	typical := make([]float32, CohortSize)
	for i := range typical {
		typical[i] = FalseMatchDistance(float64(i+2) / float64(n+1))
	}
	if s := CohortShift(typical, n); math.Abs(float64(s)) > 1e-6 {
		t.Fatalf("a typical cohort shifts by %v, want 0", s)
	}
	near := make([]float32, len(typical))
	for i, d := range typical {
		near[i] = d - 0.05
	}
	if s := CohortShift(near, n); math.Abs(float64(s+0.05)) > 1e-5 {
		t.Fatalf("a cohort 0.05 nearer shifts by %v, want −0.05", s)
	}
	// only the first CohortSize count
	long := append(append([]float32{}, typical...), 5, 5, 5)
	if s := CohortShift(long, n); math.Abs(float64(s)) > 1e-6 {
		t.Fatalf("distances after the first %d moved the shift to %v", CohortSize, s)
	}
	if s := CohortShift(nil, n); s != 0 {
		t.Fatalf("empty cohort: %v", s)
	}
}

func TestCohortWeight(t *testing.T) {
	prev := 0.0
	for n := 1; n <= 20000; n += 1 + n/10 {
		w := CohortWeight(n)
		if w < prev || w < 0 || w > cohortWeightMax {
			t.Fatalf("CohortWeight(%d) = %v after %v: want non-decreasing within [0, %v]", n, w, prev, cohortWeightMax)
		}
		prev = w
	}
	for n, want := range map[int]float64{1: 0, 100: 0, cohortFrom: 0, cohortFullAt: cohortWeightMax, 10000: cohortWeightMax} {
		if w := CohortWeight(n); math.Abs(w-want) > 1e-9 {
			t.Errorf("CohortWeight(%d) = %v, want %v", n, w, want)
		}
	}
}

func TestCohortDistance(t *testing.T) {
	n := 1000
	typical := make([]float32, CohortSize)
	near := make([]float32, CohortSize)
	far := make([]float32, CohortSize)
	for i := range typical {
		typical[i] = FalseMatchDistance(float64(i+2) / float64(n+1))
		near[i], far[i] = typical[i]-0.05, typical[i]+0.05
	}
	d := float32(0.5)
	// a probe near to everybody is less likely to be the person at the same distance
	dn, dt, df := CohortDistance(d, near, n), CohortDistance(d, typical, n), CohortDistance(d, far, n)
	if !(dn > dt && dt > df) {
		t.Fatalf("near %v, typical %v, far %v: want the nearer cohort to move the distance up", dn, dt, df)
	}
	if SearchConfidence(dn, n) > SearchConfidence(d, n) {
		t.Fatalf("a near cohort raised the confidence from %d to %d", SearchConfidence(d, n), SearchConfidence(dn, n))
	}
	// moved by CohortWeight(n)·(shift + slack): a typical cohort keeps only the slack
	slack := cohortSlack * math.Log10(float64(n)/cohortSlackFrom)
	if want := d - float32(cohortWeightMax*slack); math.Abs(float64(dt-want)) > 1e-6 {
		t.Fatalf("typical cohort: %v, want %v", dt, want)
	}
	// the same cohort moves every candidate alike: the order is kept
	if a, b := CohortDistance(0.4, near, n), CohortDistance(0.45, near, n); a >= b || math.Abs(float64(b-a-0.05)) > 1e-6 {
		t.Fatalf("0.4 → %v, 0.45 → %v: want the same move", a, b)
	}
	// the shift is bounded: a gallery far from every probe lifts a distance by at most
	// 0.75·(cohortShiftMax + slack)
	veryFar := make([]float32, CohortSize)
	for i := range veryFar {
		veryFar[i] = typical[i] + 0.6
	}
	if got, want := CohortDistance(d, veryFar, n), d-float32(cohortWeightMax*(cohortShiftMax+slack)); math.Abs(float64(got-want)) > 1e-6 {
		t.Fatalf("very far cohort: %v, want the bounded %v", got, want)
	}
	veryNear := make([]float32, CohortSize) // all zero
	if got, want := CohortDistance(d, veryNear, n), d-float32(cohortWeightMax*(cohortShiftMin+slack)); math.Abs(float64(got-want)) > 1e-6 {
		t.Fatalf("very near cohort: %v, want the bounded %v", got, want)
	}
	// small galleries, no cohort and NaN: unchanged
	for _, tt := range []struct {
		d      float32
		cohort []float32
		n      int
	}{{d, near, 100}, {d, near, cohortFrom}, {d, nil, n}} {
		if got := CohortDistance(tt.d, tt.cohort, tt.n); got != tt.d {
			t.Errorf("CohortDistance(%v, %d distances, %d) = %v, want unchanged", tt.d, len(tt.cohort), tt.n, got)
		}
	}
	if got := CohortDistance(float32(math.NaN()), near, n); !math.IsNaN(float64(got)) {
		t.Errorf("NaN: %v", got)
	}
}
