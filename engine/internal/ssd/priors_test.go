package ssd

import (
	"math"
	"testing"
)

// TestGeneratedPriorsMatchStored checks the anchor generator against the priors stored in
// the weight file, which smaller input sizes rely on.
func TestGeneratedPriorsMatchStored(t *testing.T) {
	net, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if g := featureGrids(512); g != [6]int{32, 16, 8, 4, 2, 1} {
		t.Fatalf("grids at 512 = %v", g)
	}
	gen, stored := generatePriors(512), net.net.priors.stored
	if len(gen) != len(stored) {
		t.Fatalf("%d generated values, %d stored", len(gen), len(stored))
	}
	worst := 0.0
	for i := range gen {
		worst = math.Max(worst, math.Abs(float64(gen[i]-stored[i])))
	}
	if worst > 1e-4 {
		t.Errorf("generated priors differ from the stored ones by %g", worst)
	}
	if g := featureGrids(320); g != [6]int{20, 10, 5, 3, 2, 1} {
		t.Errorf("grids at 320 = %v", g)
	}
}
