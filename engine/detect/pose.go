package detect

import "math"

// Face geometry in units of the inter-ocular distance (iod), frontal face, measured as the
// mean landmark positions on LFW (eyes at y≈112.5, nose tip ≈ 24.5 px, lips ≈ 40 and
// 54 px below them, iod ≈ 42.5 px of 250), and the nose tip's depth in front of the
// eye plane (anthropometric, ≈ half the iod). Pose is a coarse geometric estimate.
const (
	noseDown  = 0.58 // eye line → nose tip
	mouthDown = 1.09 // eye line → mouth centre (midpoint of the lips)
	noseDepth = 0.5  // nose tip in front of the eye plane
	lipGap    = 0.33 // upper lip (lp81) → lower lip (lp82)
)

// Pupil priors relative to the face window (pigo's puploc placement): ±0.185 window
// sides across, 0.085 above the centre; eyeSigma is the tolerated deviation.
const (
	eyeAcross = 0.185
	eyeAbove  = 0.085
	eyeSigma  = 0.1
)

// Recognizability thresholds.
const (
	minRecognizableSide = 40 // face box side in original pixels
	minRecognizableConf = 40 // every landmark's confidence
	maxRecognizableYaw  = 40 // degrees
	maxRecognizablePit  = 30 // degrees
)

// estimate fills roll, yaw, pitch, the landmark and face confidences and recognizability
// from the working-pixel landmarks of candidate c; side is the box side in original px.
func estimate(f *Face, c candidate, lm landmarks, side float64) {
	ex, ey := lm.eyeL[1]-lm.eyeR[1], lm.eyeL[0]-lm.eyeR[0] // x, y from image-left eye
	iod := math.Hypot(ex, ey)
	if iod < 1 {
		iod = 1
	}
	f.Roll = deg(math.Atan2(ey, ex))
	ux, uy := ex/iod, ey/iod // along the eye line; (-uy, ux) points down the face
	mx, my := (lm.eyeL[1]+lm.eyeR[1])/2, (lm.eyeL[0]+lm.eyeR[0])/2
	frame := func(p [2]float64) (across, down float64) {
		dx, dy := p[1]-mx, p[0]-my
		return (dx*ux + dy*uy) / iod, (-dx*uy + dy*ux) / iod
	}
	nx, ny := frame(lm.nose)
	_, mdown := frame(lm.mouth)
	f.Yaw = deg(math.Atan(nx / noseDepth))
	if mdown > 0.1 {
		// Nose tip nearer the eyes than usual (relative to the mouth) = head tilted back.
		f.Pitch = deg(math.Atan((noseDown/mouthDown - ny/mdown) * mdown / noseDepth))
	}

	// Eyes: distance from the pupil prior, in window sides.
	eyeConf := func(p [2]float64, side float64) int {
		dr, dc := rot(-eyeAbove*c.size, side*eyeAcross*c.size, c.angle)
		d := math.Hypot(p[0]-(c.row+dr), p[1]-(c.col+dc)) / c.size
		return gauss(d, eyeSigma)
	}
	f.EyeRight.Confidence = eyeConf(lm.eyeR, -1)
	f.EyeLeft.Confidence = eyeConf(lm.eyeL, 1)
	// Nose and mouth: distance below the eye line against the frontal geometry, the nose
	// between the eyes, and the lips one above the other about lipGap iod apart.
	f.Nose.Confidence = min(gauss(ny-noseDown, 0.3), gauss(nx, 0.6))
	gapAcross, gapDown := (lm.lipGap[1]*ux+lm.lipGap[0]*uy)/iod, (-lm.lipGap[1]*uy+lm.lipGap[0]*ux)/iod
	f.Mouth.Confidence = min(gauss(mdown-mouthDown, 0.3), gauss(gapAcross, 0.15), gauss(gapDown-lipGap, 0.2))

	f.Confidence = faceConfidence(c.q)
	f.Recognizable = side >= minRecognizableSide &&
		min(f.EyeLeft.Confidence, f.EyeRight.Confidence, f.Nose.Confidence, f.Mouth.Confidence) >= minRecognizableConf &&
		math.Abs(f.Yaw) <= maxRecognizableYaw && math.Abs(f.Pitch) <= maxRecognizablePit
}

// faceConfidence maps a normalised cluster score to 0-100: a logistic in log(q) that
// gives 50 at the detection threshold of normal mode (q = 4), ≈80 at q = 8 and ≥ 99 at
// q ≥ 40 (on the detection set every detection above q = 4 was a true face).
func faceConfidence(q float32) int {
	if q <= 0 {
		return 0
	}
	x := math.Log(float64(q)/4) / 0.5
	return int(math.Round(100 / (1 + math.Exp(-x))))
}

// gauss maps a deviation to a 0-100 confidence: 100·exp(-½(d/σ)²).
func gauss(d, sigma float64) int {
	return int(math.Round(100 * math.Exp(-0.5*(d/sigma)*(d/sigma))))
}

func deg(rad float64) float64 { return rad * 180 / math.Pi }
