package detect

import (
	"math"

	"github.com/facegate/facegate/engine/imageio"
)

// Box calibration: pigo's window reaches above the eyebrows, annotated face boxes
// (detection set, dlib: eyebrows to chin) are tighter and lower. Measured on the matched
// faces of the detection set: window side ≈ 1.11× the box side, window centre ≈ 0.1 box
// side above the box centre.
const (
	boxScale  = 0.9  // box side / window side
	boxShiftY = 0.09 // box centre below the window centre, in window sides (face frame)
)

// describe turns a candidate into a Face in original pixels, with landmarks and pose.
func (d *Detector) describe(img *imageio.Image, c candidate) Face {
	if !c.box.Empty() {
		d.refineRoll(img, &c)
	}
	lm := d.locate(img, c)
	s := img.Scale
	f := Face{Box: pigoBox(img, c), Score: c.q}
	side := c.size * boxScale * s
	if !c.box.Empty() {
		f.Box, f.Score = c.box, c.cnn
		side = math.Sqrt(float64(c.box.Dx() * c.box.Dy()))
	}
	pt := func(p [2]float64) Point { return Point{X: p[1] * s, Y: p[0] * s} }
	f.EyeRight, f.EyeLeft, f.Nose, f.Mouth = pt(lm.eyeR), pt(lm.eyeL), pt(lm.nose), pt(lm.mouth)
	estimate(&f, c, lm, side)
	if !c.box.Empty() {
		f.Confidence = int(math.Round(100 * float64(c.cnn)))
	}
	return f
}
