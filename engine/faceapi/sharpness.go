package faceapi

import "image"

// sharpRegion is the part of the 150×150 aligned chip that Sharpness measures: from the
// brows to below the mouth and between the outer eye corners (see template), so that
// background and hair, sharp or not, do not count.
var sharpRegion = image.Rect(35, 30, 115, 120)

// Sharpness measures how much fine detail an aligned descriptor chip holds: the variance
// of the 4-neighbour Laplacian of its luminance over the inner face, divided by the
// variance of the luminance there (so that contrast and exposure do not count). The chip
// has a fixed scale (the eyes 53 px apart), so a small face that was upsampled to it, an
// out-of-focus or a motion-blurred face all measure low. Typical sharp LFW faces measure
// about 0.1–0.3; 0 means a flat chip.
func Sharpness(chip *RGB) float64 {
	if chip == nil || chip.W != ChipSize || chip.H != ChipSize || len(chip.Pix) != 3*chip.W*chip.H {
		return 0
	}
	r := sharpRegion
	lum := func(x, y int) float64 {
		o := (y*chip.W + x) * 3
		return 0.299*float64(chip.Pix[o]) + 0.587*float64(chip.Pix[o+1]) + 0.114*float64(chip.Pix[o+2])
	}
	var n, sl, sll, sg, sgg float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := lum(x, y)
			l := lum(x-1, y) + lum(x+1, y) + lum(x, y-1) + lum(x, y+1) - 4*c
			n++
			sl += l
			sll += l * l
			sg += c
			sgg += c * c
		}
	}
	vl := sll/n - (sl/n)*(sl/n)
	vg := sgg/n - (sg/n)*(sg/n)
	if !(vg > 1e-6) {
		return 0
	}
	return vl / vg
}

// DescriptorSharpness is Descriptor that also returns the Sharpness of the aligned chip
// the descriptor was computed from.
func (m *Models) DescriptorSharpness(img image.Image, lm [68]Point) ([128]float32, float64, error) {
	return m.DescriptorSharpnessWith(img, lm, DefaultOptions)
}

// DescriptorSharpnessWith is DescriptorSharpness with explicit options; the sharpness is
// that of o.Alignment's chip.
func (m *Models) DescriptorSharpnessWith(img image.Image, lm [68]Point, o Options) ([128]float32, float64, error) {
	d, chip, err := m.describe(img, lm, o)
	if err != nil {
		return d, 0, err
	}
	return d, Sharpness(chip), nil
}
