package faceapi

import (
	"math/rand/v2"
	"testing"
)

// textured returns a chip of random grey blocks of side block (1 = per-pixel noise).
func textured(block int) *RGB {
	r := rand.New(rand.NewPCG(1, 2))
	c := &RGB{W: ChipSize, H: ChipSize, Pix: make([]float32, 3*ChipSize*ChipSize)}
	vals := make([]float32, (ChipSize/block+1)*(ChipSize/block+1))
	for i := range vals {
		vals[i] = float32(40 + r.IntN(170))
	}
	for y := range ChipSize {
		for x := range ChipSize {
			v := vals[(y/block)*(ChipSize/block+1)+x/block]
			o := (y*ChipSize + x) * 3
			c.Pix[o], c.Pix[o+1], c.Pix[o+2] = v, v, v
		}
	}
	return c
}

// boxBlur averages every pixel with its neighbours within radius.
func boxBlur(c *RGB, radius int) *RGB {
	out := &RGB{W: c.W, H: c.H, Pix: make([]float32, len(c.Pix))}
	for y := range c.H {
		for x := range c.W {
			for ch := range 3 {
				var s, n float32
				for dy := -radius; dy <= radius; dy++ {
					for dx := -radius; dx <= radius; dx++ {
						xx, yy := x+dx, y+dy
						if xx >= 0 && yy >= 0 && xx < c.W && yy < c.H {
							s += c.At(xx, yy, ch)
							n++
						}
					}
				}
				out.Pix[(y*c.W+x)*3+ch] = s / n
			}
		}
	}
	return out
}

func TestSharpness(t *testing.T) {
	sharp := textured(3)
	s0 := Sharpness(sharp)
	if s0 <= 0 {
		t.Fatalf("sharp chip: %v", s0)
	}
	prev := s0
	for _, r := range []int{1, 2, 4} {
		s := Sharpness(boxBlur(sharp, r))
		if !(s < prev/2) {
			t.Fatalf("blur radius %d: sharpness %v, want well under %v", r, s, prev)
		}
		prev = s
	}
	// contrast and brightness do not count: halve the contrast around 128
	low := &RGB{W: sharp.W, H: sharp.H, Pix: make([]float32, len(sharp.Pix))}
	for i, v := range sharp.Pix {
		low.Pix[i] = 128 + (v-128)/2
	}
	if s := Sharpness(low); s < 0.99*s0 || s > 1.01*s0 {
		t.Fatalf("half contrast: %v, want %v", s, s0)
	}
	flat := &RGB{W: ChipSize, H: ChipSize, Pix: make([]float32, 3*ChipSize*ChipSize)}
	for i := range flat.Pix {
		flat.Pix[i] = 90
	}
	for name, c := range map[string]*RGB{"flat": flat, "nil": nil, "wrong size": {W: 10, H: 10, Pix: make([]float32, 300)}, "short pixels": {W: ChipSize, H: ChipSize}} {
		if s := Sharpness(c); s != 0 {
			t.Errorf("%s: %v, want 0", name, s)
		}
	}
}

// BenchmarkSharpness measures the quality gate's sharpness term on a 150×150 chip; compare
// with BenchmarkDescribeChip (the descriptor runs twice per face, chip and mirror).
func BenchmarkSharpness(b *testing.B) {
	c := textured(3)
	b.ReportAllocs()
	for b.Loop() {
		_ = Sharpness(c)
	}
}
