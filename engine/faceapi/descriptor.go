package faceapi

import (
	"fmt"
	"image"
	"math"
)

// Descriptor returns the 128-D descriptor of the face with landmarks lm (image pixels),
// using the default alignment (AlignSimilarity).
func (m *Models) Descriptor(img image.Image, lm [68]Point) ([128]float32, error) {
	return m.DescriptorAligned(img, lm, AlignSimilarity)
}

// DescriptorAligned is Descriptor with an explicit chip alignment.
func (m *Models) DescriptorAligned(img image.Image, lm [68]Point, al Alignment) ([128]float32, error) {
	var d [128]float32
	if !finite(lm[:]) {
		return d, fmt.Errorf("descriptor: landmarks are not finite")
	}
	chip, err := Chip(img, lm, al)
	if err != nil {
		return d, fmt.Errorf("descriptor: %w", err)
	}
	return m.DescribeChip(chip)
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
	case AlignSimilarity:
		p := fivePoints(&lm)
		t, ok := fitSimilarity(template[:], p[:])
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
		return AlignedChip(sub, lm)
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
