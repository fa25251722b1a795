package detect

import (
	"math"

	pigo "github.com/esimov/pigo/core"

	"github.com/facegate/facegate/engine/imageio"
)

// Landmark cascades used (pigo's cascade/lps file names) and whether each also runs
// mirrored. Mean positions measured on 147 LFW images (250×250, eyes found at y≈113,
// x≈103 and 146): lp93 lands on the nose tip (y≈137, both runs), lp84 on the mouth corners
// (y≈157, x≈108 plain, 145 mirrored), lp81 on the upper lip (y≈152) and lp82 on the lower
// lip (y≈166), both near the midline. The nose is the mean of lp93 plain and mirrored; the
// mouth centre the mean of the two corners and the two lips.
var (
	noseCascades  = []lpRun{{"lp93", false}, {"lp93", true}}
	mouthCascades = []lpRun{{"lp84", false}, {"lp84", true}, {"lp81", false}, {"lp82", false}}
)

// lpRun names a landmark cascade and whether it runs mirrored.
type lpRun struct {
	name string
	flip bool
}

// perturbs is the number of jittered runs whose median a pupil or landmark cascade
// returns. It must be exactly 63: pigo v1.4.6 sorts its whole 63-entry pooled buffer and
// takes the element at perturbs/2, so any smaller count mixes in zeros or stale values
// from other calls.
const perturbs = 63

// rot rotates the face-frame offset (dr, dc) by a pigo angle (turns) into image offsets.
func rot(dr, dc, a float64) (float64, float64) {
	s, c := math.Sincos(2 * math.Pi * a)
	return dr*c - dc*s, dr*s + dc*c
}

// landmarks are the four points of one face in working pixels (row, col).
type landmarks struct {
	eyeR, eyeL, nose, mouth [2]float64 // eyeR: image left (subject's right)
	// noseSpread is the distance between the plain and mirrored nose runs; mouthSpread
	// the distance between the midpoint of the corners and that of the lips (pixels).
	noseSpread, mouthSpread float64
}

// locate runs the pupil cascade around the expected eye positions of candidate c, then
// the nose and mouth cascades relative to the eyes.
func (d *Detector) locate(img *imageio.Image, c candidate) landmarks {
	ip := pigo.ImageParams{Pixels: img.Gray, Rows: img.GrayHeight, Cols: img.GrayWidth, Dim: img.GrayStride}
	var lm landmarks
	for i, side := range []float64{-1, 1} {
		dr, dc := rot(-0.085*c.size, side*0.185*c.size, c.angle)
		pl := pigo.Puploc{Row: int(c.row + dr), Col: int(c.col + dc), Scale: float32(0.4 * c.size), Perturbs: perturbs}
		e := d.pupil.RunDetector(pl, ip, quantize(c.angle), false)
		p := [2]float64{float64(e.Row), float64(e.Col)}
		if i == 0 {
			lm.eyeR = p
		} else {
			lm.eyeL = p
		}
	}
	// Landmark cascades work in the frame of the eye line (pigo GetLandmarkPoint, with the
	// roll passed on so that tilted faces are handled too).
	a := turnOf(lm.eyeR, lm.eyeL)
	var nose [2][2]float64
	for i, r := range noseCascades {
		nose[i] = d.point(d.nose[i], ip, lm.eyeR, lm.eyeL, a, r.flip)
	}
	var mouth [4][2]float64
	for i, r := range mouthCascades {
		mouth[i] = d.point(d.mouth[i], ip, lm.eyeR, lm.eyeL, a, r.flip)
	}
	lm.nose = mid(nose[0], nose[1])
	corners, lips := mid(mouth[0], mouth[1]), mid(mouth[2], mouth[3])
	lm.mouth = mid(corners, lips)
	lm.noseSpread = math.Hypot(nose[0][0]-nose[1][0], nose[0][1]-nose[1][1])
	lm.mouthSpread = math.Hypot(corners[0]-lips[0], corners[1]-lips[1])
	return lm
}

func mid(a, b [2]float64) [2]float64 { return [2]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// turnOf is the pigo angle (turns in [0, 1)) of the line from eye a to eye b.
func turnOf(a, b [2]float64) float64 {
	t := math.Atan2(b[0]-a[0], b[1]-a[1]) / (2 * math.Pi)
	if t < 0 {
		t++
	}
	return t
}

// point runs landmark cascade lc placed as pigo's GetLandmarkPoint does, in the frame
// rotated by a (turns); flip mirrors the cascade (the symmetric point).
func (d *Detector) point(lc *pigo.PuplocCascade, ip pigo.ImageParams, eyeR, eyeL [2]float64, a float64, flip bool) [2]float64 {
	dist := math.Hypot(eyeL[0]-eyeR[0], eyeL[1]-eyeR[1])
	dr, dcc := rot(0.25*dist, 0.15*dist, a)
	pl := pigo.Puploc{
		Row:      int((eyeR[0]+eyeL[0])/2 + dr),
		Col:      int((eyeR[1]+eyeL[1])/2 + dcc),
		Scale:    float32(3 * dist),
		Perturbs: perturbs,
	}
	p := lc.RunDetector(pl, ip, quantize(a), flip)
	return [2]float64{float64(p.Row), float64(p.Col)}
}

// quantize rounds a pigo angle to the 1/32 turn its lookup tables hold (pigo truncates,
// which would turn a 1° tilt the other way into -11.25°). 0 selects the upright classifier.
func quantize(a float64) float64 {
	k := int(math.Round(32*a)) % 32
	if k == 0 {
		return 0
	}
	return (float64(k) + 0.5) / 32
}
