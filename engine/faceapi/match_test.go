package faceapi

import (
	"math"
	"testing"
)

func TestDistance(t *testing.T) {
	var a, b [128]float32
	a[0], b[0] = 3, 0
	a[127], b[127] = 0, 4
	if d := Distance(a, b); d != 5 {
		t.Errorf("Distance = %v, want 5", d)
	}
	if d := Distance(a, a); d != 0 {
		t.Errorf("Distance to self = %v", d)
	}
}

func TestConfidence(t *testing.T) {
	cases := []struct {
		name   string
		d      float32
		lo, hi int
	}{
		{"identical", 0, 99, 100},
		{"at threshold", DefaultThreshold, 50, 50},
		{"far", 1.2, 0, 1},
		{"NaN", float32(math.NaN()), 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Confidence(c.d); got < c.lo || got > c.hi {
				t.Errorf("Confidence(%v) = %d, want %d..%d", c.d, got, c.lo, c.hi)
			}
		})
	}
	prev := 101
	for d := float32(0); d < 1.5; d += 0.01 {
		c := Confidence(d)
		if c > prev {
			t.Fatalf("Confidence not monotone at %v", d)
		}
		prev = c
	}
}
