package ssd

import (
	"math"
	"sync"
)

// Anchor scales of the six feature maps (TF Object Detection's multiple-grid anchor
// generator, min scale 0.2, max 0.95).
var anchorScales = [6]float64{0.2, 0.35, 0.5, 0.65, 0.8, 0.95}

// featureGrids returns the side of the six feature maps for an input of side n: the stem
// and pairs 2, 4, 6 halve it (to F0), pair 12 halves it again (F1) and each odd extra layer
// halves it once more, rounding up ("same" padding).
func featureGrids(n int) [6]int {
	half := func(x int) int { return (x + 1) / 2 }
	g := half(half(half(half(n)))) // stem, pairs 2, 4, 6: F0 (32 at 512)
	var out [6]int
	out[0] = g
	for j := 1; j < 6; j++ {
		g = half(g)
		out[j] = g
	}
	return out
}

// generatePriors builds the prior boxes (ymin, xmin, ymax, xmax, normalised) for an input
// of side n, in the order of the heads' outputs: map by map, row-major cells, then the
// anchors of a cell. Centres sit at (i+0.5)/grid; an anchor of scale s and aspect ratio a
// is s·√a wide and s/√a high. Map 0 has (0.1, 1), (0.2, 2), (0.2, 1/2); the others have
// (s, 1), (√(s·s'), 1), (s, 2), (s, 1/2), (s, 3), (s, 1/3) with s' the next map's scale
// (1 after the last). At n = 512 this reproduces the stored priors to 4e-5.
func generatePriors(n int) []float32 {
	grids := featureGrids(n)
	var out []float32
	for l, g := range grids {
		s := anchorScales[l]
		next := 1.0
		if l+1 < len(anchorScales) {
			next = anchorScales[l+1]
		}
		specs := [][2]float64{{s, 1}, {math.Sqrt(s * next), 1}, {s, 2}, {s, 0.5}, {s, 3}, {s, 1.0 / 3}}
		if l == 0 {
			specs = [][2]float64{{0.1, 1}, {s, 2}, {s, 0.5}}
		}
		for i := range g {
			for j := range g {
				cy, cx := (float64(i)+0.5)/float64(g), (float64(j)+0.5)/float64(g)
				for _, sp := range specs {
					h, w := sp[0]/math.Sqrt(sp[1]), sp[0]*math.Sqrt(sp[1])
					out = append(out, float32(cy-h/2), float32(cx-w/2), float32(cy+h/2), float32(cx+w/2))
				}
			}
		}
	}
	return out
}

// priorCache holds generated priors per input side.
type priorCache struct {
	mu     sync.Mutex
	stored []float32 // the weight file's priors, for InputSize
	bySize map[int][]float32
}

// get returns the priors for input side n: the stored ones at the trained size.
func (c *priorCache) get(n int) []float32 {
	if n == DefaultInputSize {
		return c.stored
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.bySize[n]; ok {
		return p
	}
	if c.bySize == nil {
		c.bySize = map[int][]float32{}
	}
	p := generatePriors(n)
	c.bySize[n] = p
	return p
}
