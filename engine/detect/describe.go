package detect

import (
	"image"

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
	lm := d.locate(img, c)
	s := img.Scale
	side := c.size * boxScale * s
	dr, dc := rot(boxShiftY*c.size, 0, c.angle)
	cx, cy := (c.col+dc)*s, (c.row+dr)*s
	f := Face{
		Box:   image.Rect(int(cx-side/2), int(cy-side/2), int(cx+side/2), int(cy+side/2)).Intersect(image.Rect(0, 0, img.Width, img.Height)),
		Score: c.q,
	}
	pt := func(p [2]float64) Point { return Point{X: p[1] * s, Y: p[0] * s} }
	f.EyeRight, f.EyeLeft, f.Nose, f.Mouth = pt(lm.eyeR), pt(lm.eyeL), pt(lm.nose), pt(lm.mouth)
	estimate(&f, c, lm, side)
	return f
}
