package detect

import (
	"math"

	"github.com/facegate/facegate/engine/imageio"
)

// Landmark cascades used (pigo's cascade/lps file names) and whether each runs mirrored.
// Mean positions measured on 147 LFW images (250×250, eyes found at y≈113, x≈103 and
// 146): lp93 lands on the nose tip (y≈137, x≈125), lp81 on the upper lip (y≈152) and
// lp82 on the lower lip (y≈166), both on the midline; lp84 finds the mouth corners
// (y≈157) but costs two more runs for the same centre, so it is not used. The mouth
// centre is the midpoint of the lips. Each run costs 63 cascade passes (see perturbs).
var (
	noseCascades  = []lpRun{{"lp93", false}}
	mouthCascades = []lpRun{{"lp81", false}, {"lp82", false}}
)

// lpRun names a landmark cascade and whether it runs mirrored.
type lpRun struct {
	name string
	flip bool
}

// perturbs is the number of jittered runs whose median a pupil or landmark cascade
// returns (regress.go; the jitter is deterministic). 63 is what the positions were
// measured with (pigo v1.4.6's own runner only works with exactly 63).
const perturbs = 63

// rot rotates the face-frame offset (dr, dc) by a pigo angle (turns) into image offsets.
func rot(dr, dc, a float64) (float64, float64) {
	s, c := math.Sincos(2 * math.Pi * a)
	return dr*c - dc*s, dr*s + dc*c
}

// landmarks are the four points of one face in working pixels (row, col).
type landmarks struct {
	eyeR, eyeL, nose, mouth [2]float64 // eyeR: image left (subject's right)
	// lipGap is the vector from the upper to the lower lip (row, col), in pixels.
	lipGap [2]float64
}

// locate runs the pupil cascade around the expected eye positions of candidate c, then
// the nose and mouth cascades relative to the eyes. Start positions follow the face's
// angle, but the cascades themselves run upright: pigo v1.4.6's rotated puploc applies
// its regression steps unrotated and, measured on LFW faces turned by ±20°, lands far
// off (roll error > 30°), while the upright cascades recover the roll within a few
// degrees from rotated start positions.
func (d *Detector) locate(img *imageio.Image, c candidate) landmarks {
	ip := &grayView{pix: img.Gray, rows: img.GrayHeight, cols: img.GrayWidth, dim: img.GrayStride}
	var lm landmarks
	if c.eyes != nil {
		lm.eyeR, lm.eyeL = c.eyes[0], c.eyes[1]
	} else {
		lm.eyeR, lm.eyeL = d.pupils(img, c)
	}
	// Landmark cascades work in the frame of the eye line (pigo GetLandmarkPoint, with the
	// roll passed on so that tilted faces are handled too).
	a := turnOf(lm.eyeR, lm.eyeL)
	lm.nose = d.point(d.nose[0], ip, lm.eyeR, lm.eyeL, a, noseCascades[0].flip)
	upper := d.point(d.mouth[0], ip, lm.eyeR, lm.eyeL, a, mouthCascades[0].flip)
	lower := d.point(d.mouth[1], ip, lm.eyeR, lm.eyeL, a, mouthCascades[1].flip)
	lm.mouth = mid(upper, lower)
	lm.lipGap = [2]float64{lower[0] - upper[0], lower[1] - upper[1]}
	return lm
}

// pupils runs the pupil cascade around the expected eye positions of candidate c
// (image-left eye first), in working pixels (row, col).
func (d *Detector) pupils(img *imageio.Image, c candidate) (eyeR, eyeL [2]float64) {
	ip := &grayView{pix: img.Gray, rows: img.GrayHeight, cols: img.GrayWidth, dim: img.GrayStride}
	for i, side := range []float64{-1, 1} {
		dr, dc := rot(-0.085*c.size, side*0.185*c.size, c.angle)
		er, ec := d.pupil.locateMedian(int(c.row+dr), int(c.col+dc), float32(0.4*c.size), perturbs, ip, false)
		p := [2]float64{float64(int(er)), float64(int(ec))}
		if i == 0 {
			eyeR = p
		} else {
			eyeL = p
		}
	}
	return eyeR, eyeL
}

func mid(a, b [2]float64) [2]float64 { return [2]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// turnOf is the pigo angle (turns in [0, 1)) of the line from eye a to eye b. pigo maps
// the face frame's +col axis to the image offset (row, col) = (-sin θ, cos θ), so a
// positive angle is a counter-clockwise turn on screen.
func turnOf(a, b [2]float64) float64 {
	t := math.Atan2(-(b[0]-a[0]), b[1]-a[1]) / (2 * math.Pi)
	if t < 0 {
		t++
	}
	return t
}

// point runs landmark cascade lc placed as pigo's GetLandmarkPoint does, with the start
// offset turned by a (pigo turns, the eye line's angle); flip mirrors the cascade.
func (d *Detector) point(lc *regressor, ip *grayView, eyeR, eyeL [2]float64, a float64, flip bool) [2]float64 {
	dist := math.Hypot(eyeL[0]-eyeR[0], eyeL[1]-eyeR[1])
	dr, dcc := rot(0.25*dist, 0.15*dist, a)
	pr, pc := lc.locateMedian(int((eyeR[0]+eyeL[0])/2+dr), int((eyeR[1]+eyeL[1])/2+dcc), float32(3*dist), perturbs, ip, flip)
	return [2]float64{float64(int(pr)), float64(int(pc))}
}
