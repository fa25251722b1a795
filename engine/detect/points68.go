package detect

import (
	"image"
	"math"

	"github.com/facegate/facegate/engine/imageio"
)

// Landmarker places the 68 iBUG points (x, y in img pixels) on the face in box. The
// face-api landmark net (engine/faceapi) is one; the engine wires it in through
// engine/pipeline, so that this package does not depend on the CNN runtime's models.
type Landmarker interface {
	Landmarks68(img image.Image, box image.Rectangle) ([68][2]float64, error)
}

// NewWithLandmarks returns a Detector whose CNN modes place every face's points with l
// instead of the pigo pupil and landmark cascades. The cascades were tuned on pigo's own
// windows; on CNN boxes their eyes scatter more (LFW: 5.2 vs 3.8 px of 250) and close-up
// portraits came out not recognizable, while the landmark net runs anyway for
// descriptors and attributes. The cascade mode keeps the cascades.
func NewWithLandmarks(l Landmarker) (*Detector, error) {
	d, err := New()
	if err != nil {
		return nil, err
	}
	d.landmarker = l
	return d, nil
}

// Face geometry of the landmark net's points in units of the inter-ocular distance (iod,
// between the eye contour centres), frontal face: means over 424 evenly spread LFW images
// on SSD boxes (sd 0.11 for both); nose tip = point 30, mouth = mean of points 48–67.
const (
	noseDown68  = 0.613
	mouthDown68 = 1.132
)

// Recognizability of a face placed by the landmark net: its detector score, as 0–100,
// must reach minRecognizableScore (the SSD's weakest reported boxes are small, blurred or
// partial faces).
const minRecognizableScore = 50

// landmarkCropScale sizes the square the landmark net crops around a face box: a side
// of landmarkCropScale × the box's longer side, same centre. The SSD's boxes are taller
// than wide; cropped as they are, the net's square input is padded with black at the
// sides. Measured by LFW verification through the full pipeline (go run ./tests/bench
// recognize --box-square --box-scale S; BENCHMARKS.md, "detect: CNN modes").
const landmarkCropScale = 1.1

// LandmarkCrop is the region the landmark net sees for a face box.
func LandmarkCrop(b image.Rectangle) image.Rectangle {
	side := landmarkCropScale * float64(max(b.Dx(), b.Dy()))
	cx, cy := float64(b.Min.X+b.Max.X)/2, float64(b.Min.Y+b.Max.Y)/2
	return image.Rect(int(math.Round(cx-side/2)), int(math.Round(cy-side/2)), int(math.Round(cx+side/2)), int(math.Round(cy+side/2)))
}

// describe68 describes candidate c with the landmark net's points. ok is false when the
// net could not run (an empty crop): the caller falls back to the cascades.
func (d *Detector) describe68(img *imageio.Image, c candidate) (Face, bool) {
	f := Face{Box: c.box, Score: c.cnn, Confidence: int(math.Round(100 * float64(c.cnn)))}
	if c.box.Empty() { // a cascade face (the fallback when the CNN saw nobody)
		f.Box, f.Score, f.Confidence = pigoBox(img, c), c.q, faceConfidence(c.q)
	}
	if f.Box.Empty() {
		return f, false
	}
	pts, err := d.landmarker.Landmarks68(img.Img, LandmarkCrop(f.Box).Add(img.Img.Bounds().Min))
	if err != nil {
		return f, false
	}
	o := img.Img.Bounds().Min
	var all [68]Point
	for i, p := range pts {
		all[i] = Point{X: p[0] - float64(o.X), Y: p[1] - float64(o.Y), Confidence: f.Confidence}
	}
	f.Landmarks = &all
	f.EyeRight, f.EyeLeft = meanPoint(all[36:42]), meanPoint(all[42:48])
	f.Nose, f.Mouth = all[30], meanPoint(all[48:68])
	side := math.Sqrt(float64(f.Box.Dx() * f.Box.Dy()))
	estimate68(&f, side)
	return f, true
}

// estimate68 fills roll, yaw, pitch, the point confidences and recognizability from the
// four points of f (set from the landmark net); side is the box side in pixels. The net
// always returns a face-shaped set of points, so a point's confidence is the face's
// confidence, lowered where the geometry departs from a frontal face: the nose off the
// midline (yaw) or off its height, the mouth off its height (pitch, or a misplaced set).
func estimate68(f *Face, side float64) {
	ex, ey := f.EyeLeft.X-f.EyeRight.X, f.EyeLeft.Y-f.EyeRight.Y
	iod := math.Max(math.Hypot(ex, ey), 1)
	f.Roll = deg(math.Atan2(ey, ex))
	ux, uy := ex/iod, ey/iod
	mx, my := (f.EyeLeft.X+f.EyeRight.X)/2, (f.EyeLeft.Y+f.EyeRight.Y)/2
	frame := func(p Point) (across, down float64) {
		dx, dy := p.X-mx, p.Y-my
		return (dx*ux + dy*uy) / iod, (-dx*uy + dy*ux) / iod
	}
	nx, ny := frame(f.Nose)
	_, mdown := frame(f.Mouth)
	f.Yaw = deg(math.Atan(nx / noseDepth))
	if mdown > 0.1 {
		f.Pitch = deg(math.Atan((noseDown68/mouthDown68 - ny/mdown) * mdown / noseDepth))
	}
	eyes := gauss(nx, 0.6)
	nose := min(gauss(ny-noseDown68, 0.3), gauss(nx, 0.6))
	mouth := gauss(mdown-mouthDown68, 0.3)
	f.EyeRight.Confidence = min(f.Confidence, eyes)
	f.EyeLeft.Confidence = min(f.Confidence, eyes)
	f.Nose.Confidence = min(f.Confidence, nose)
	f.Mouth.Confidence = min(f.Confidence, mouth)
	f.Recognizable = side >= minRecognizableSide && f.Confidence >= minRecognizableScore &&
		min(eyes, nose, mouth) >= minRecognizableConf &&
		math.Abs(f.Yaw) <= maxRecognizableYaw && math.Abs(f.Pitch) <= maxRecognizablePit
}

func meanPoint(p []Point) Point {
	var s Point
	for _, q := range p {
		s.X += q.X
		s.Y += q.Y
	}
	n := float64(len(p))
	return Point{X: s.X / n, Y: s.Y / n, Confidence: p[0].Confidence}
}
