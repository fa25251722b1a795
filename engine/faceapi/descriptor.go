package faceapi

import (
	"fmt"
	"image"
	"math"
)

// Descriptor returns the 128-D descriptor of the face with landmarks lm (image pixels):
// the similarity-aligned chip and its mirror image both go through the net and their
// descriptors are averaged (DefaultOptions). This measured best on LFW (BENCHMARKS.md).
func (m *Models) Descriptor(img image.Image, lm [68]Point) ([128]float32, error) {
	return m.DescriptorWith(img, lm, DefaultOptions)
}

// Options choose how Descriptor builds its input.
type Options struct {
	Alignment Alignment
	// Flip averages the descriptors of the chip and of its left-right mirror image. It
	// doubles the cost and makes descriptors more stable.
	Flip bool
	// Ensemble also describes the AlignDlib chip (with its mirror when Flip) and averages
	// every pass: Alignment's chip, its mirror, the dlib chip, its mirror. It doubles the
	// cost again.
	Ensemble bool
}

// DefaultOptions is what Descriptor uses; DefaultThreshold is calibrated for it.
var DefaultOptions = Options{Alignment: AlignSimilarity, Flip: true}

// AggressiveOptions is what the pipeline describes faces with in the aggressive detection
// mode: DefaultOptions averaged with the mirror-averaged dlib chip, 4 net passes (twice
// Descriptor's cost). On LFW through the aggressive pipeline it gained 12 pairs of 3,000
// and lost 5 against DefaultOptions, at DefaultThreshold too, and against templates
// described with DefaultOptions; normal keeps DefaultOptions (BENCHMARKS.md, "detect: CNN
// modes").
var AggressiveOptions = Options{Alignment: AlignSimilarity, Flip: true, Ensemble: true}

// DescriptorAligned is Descriptor with an explicit chip alignment and no mirror
// averaging; with AlignCrop it reproduces face-api's withFaceDescriptors.
func (m *Models) DescriptorAligned(img image.Image, lm [68]Point, al Alignment) ([128]float32, error) {
	return m.DescriptorWith(img, lm, Options{Alignment: al})
}

// DescriptorWith is Descriptor with explicit options.
func (m *Models) DescriptorWith(img image.Image, lm [68]Point, o Options) ([128]float32, error) {
	d, _, err := m.describe(img, lm, o)
	return d, err
}

// describe computes the descriptor with options o and returns the chip it came from.
func (m *Models) describe(img image.Image, lm [68]Point, o Options) ([128]float32, *RGB, error) {
	var d [128]float32
	if !finite(lm[:]) {
		return d, nil, fmt.Errorf("descriptor: landmarks are not finite")
	}
	chip, err := Chip(img, lm, o.Alignment)
	if err != nil {
		return d, nil, fmt.Errorf("descriptor: %w", err)
	}
	if o.Ensemble {
		return m.describeEnsemble(img, lm, chip, o)
	}
	if d, err = m.DescribeChip(chip); err != nil || !o.Flip {
		return d, chip, err
	}
	f, err := m.DescribeChip(Mirror(chip))
	if err != nil {
		return d, chip, err
	}
	for i := range d {
		d[i] = (d[i] + f[i]) / 2
	}
	return d, chip, nil
}

// describeEnsemble is describe with o.Ensemble: the passes' descriptors are summed in
// order (chip, its mirror, the dlib chip, its mirror) and divided by their number.
func (m *Models) describeEnsemble(img image.Image, lm [68]Point, chip *RGB, o Options) ([128]float32, *RGB, error) {
	var sum [128]float32
	dlib, err := Chip(img, lm, AlignDlib)
	if err != nil {
		return sum, nil, fmt.Errorf("descriptor: %w", err)
	}
	passes := []*RGB{chip, dlib}
	if o.Flip {
		passes = []*RGB{chip, Mirror(chip), dlib, Mirror(dlib)}
	}
	for _, c := range passes {
		d, err := m.DescribeChip(c)
		if err != nil {
			return sum, chip, err
		}
		for i := range sum {
			sum[i] += d[i]
		}
	}
	n := float32(len(passes))
	for i := range sum {
		sum[i] /= n
	}
	return sum, chip, nil
}

// Mirror returns the left-right mirror image of m.
func Mirror(m *RGB) *RGB {
	out := &RGB{W: m.W, H: m.H, Pix: make([]float32, len(m.Pix))}
	for y := 0; y < m.H; y++ {
		row := m.Pix[y*m.W*3 : (y+1)*m.W*3]
		dst := out.Pix[y*m.W*3 : (y+1)*m.W*3]
		for x := 0; x < m.W; x++ {
			copy(dst[x*3:x*3+3], row[(m.W-1-x)*3:(m.W-x)*3])
		}
	}
	return out
}

// Chip cuts the descriptor chip for the face with landmarks lm out of img.
func Chip(img image.Image, lm [68]Point, al Alignment) (*RGB, error) {
	switch al {
	case AlignCrop:
		r := CropChipRect(lm).Intersect(img.Bounds())
		if r.Empty() {
			return nil, errEmpty
		}
		return ToRGB(img, r), nil
	case AlignSimilarity, AlignDlib:
		t, ok := chipFit(&lm, al)
		if !ok {
			return nil, fmt.Errorf("align: degenerate landmarks")
		}
		// Convert only the image region the chip can sample from.
		var r image.Rectangle
		for i, c := range []Point{{-1, -1}, {ChipSize + 1, -1}, {-1, ChipSize + 1}, {ChipSize + 1, ChipSize + 1}} {
			q := t.apply(c)
			pr := image.Rect(int(math.Floor(q.X))-1, int(math.Floor(q.Y))-1, int(math.Ceil(q.X))+2, int(math.Ceil(q.Y))+2)
			if i == 0 {
				r = pr
			} else {
				r = r.Union(pr)
			}
		}
		r = r.Intersect(img.Bounds())
		if r.Empty() {
			return nil, errEmpty
		}
		sub := ToRGB(img, r)
		for i := range lm {
			lm[i].X -= float64(r.Min.X)
			lm[i].Y -= float64(r.Min.Y)
		}
		return alignedChip(sub, lm, al)
	}
	return nil, fmt.Errorf("unknown alignment %d", al)
}

// DescribeChip runs the descriptor net on a face chip of any size: face-api pads it to a
// centred square and resizes it to 150×150 first.
func (m *Models) DescribeChip(chip *RGB) ([128]float32, error) {
	var d [128]float32
	if chip == nil || chip.W <= 0 || chip.H <= 0 || len(chip.Pix) != 3*chip.W*chip.H {
		return d, fmt.Errorf("descriptor: %w", errEmpty)
	}
	a := m.arena()
	defer m.release(a)
	d, err := m.recog.forward(a, netInput(a, chip, ChipSize))
	if err != nil {
		return d, fmt.Errorf("descriptor: %w", err)
	}
	return d, nil
}

func finite(p []Point) bool {
	for _, q := range p {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) {
			return false
		}
	}
	return true
}
