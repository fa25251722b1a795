package pipeline

import (
	"math"

	"github.com/facegate/facegate/engine/detect"
)

// The face-quality gate behind SkyBiometry's `recognizable`: a recognizable face can be
// saved, trained and searched for; the others are still detected and described by their
// points, pose and attributes, but get no descriptor, so faces/recognize answers no
// candidates for them. Its inputs, for a face whose 68 points the landmark net placed
// (every face of the normal and aggressive detectors):
//
//   - the box side, √(width × height) in image pixels, at least MinSide: below it the
//     descriptor chip is mostly upsampled blur;
//   - the detector's score (0–100), at least MinScore;
//   - the head pose from the points: |yaw| ≤ MaxYaw and |pitch| ≤ MaxPitch degrees.
//
// The bounds were chosen by measurement on LFW folds 1–2 and checked on folds 3–5
// (BENCHMARKS.md, open-set identification and "detect: CNN modes"): the descriptor still
// matches LFW faces turned up to 60°, and the first gate (score ≥ 50, |yaw| ≤ 40°,
// |pitch| ≤ 30° and the points' frontal geometry) refused 17 of the 1,000 faces of 500
// LFW pairs, 7 of them in pairs it then lost. Dropping the pose bounds altogether measured
// the same on LFW, which holds few faces beyond them; they keep out profiles, which it
// does not measure. The sharpness of the aligned chip (faceapi.Sharpness) is recorded on
// every described face but does not gate: on LFW no sharpness floor removed a confident
// wrong answer. Faces placed by the pigo cascades alone (the cascade mode) keep
// engine/detect's own gate.
const (
	MinSide  = 40
	MinScore = 30
	MaxYaw   = 60
	MaxPitch = 45
)

// Quality holds the face-quality gate's inputs.
type Quality struct {
	Side       float64 // √(box width × height), image pixels
	Score      int     // detector score, 0–100
	Yaw, Pitch float64 // degrees
}

// Recognizable reports whether a face of quality q passes the gate.
func (q Quality) Recognizable() bool {
	return q.Side >= MinSide && q.Score >= MinScore && math.Abs(q.Yaw) <= MaxYaw && math.Abs(q.Pitch) <= MaxPitch
}

// recognizable is the gate's verdict on a detected face.
func recognizable(f detect.Face) bool {
	if f.Landmarks == nil {
		return f.Recognizable
	}
	q := Quality{Side: math.Sqrt(float64(f.Box.Dx()) * float64(f.Box.Dy())), Score: f.Confidence, Yaw: f.Yaw, Pitch: f.Pitch}
	return q.Recognizable()
}
