package pipeline

import (
	"math"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/service"
)

// Lips and eyes from the 68 landmarks (SkyBiometry's `lips`: sealed/parted, `eyes`:
// open/closed). Calibrated on hand-labelled LFW faces (normal detector, the landmark
// net's points): a logistic in the measured ratio, fitted by maximum likelihood.
//
//   - lips: the inner-lip gap (points 62–66) over the mouth width (48–54); 96 mouths
//     spread evenly over the gap's range, labelled parted/sealed by eye (50 parted):
//     P(parted) = σ(−2.285 + 21.74·gap), 50 % at gap 0.105; 80 % of the labels agree
//     with the 50 % cut (in-sample).
//   - eyes: the eye aspect ratio (the mean of both eyes' lid distances 37–41, 38–40,
//     43–47, 44–46 over twice the eye widths 36–39, 42–45); the 48 lowest ratios of 588
//     faces and 48 spread over the rest, labelled by eye (16 closed), the rest weighted
//     to stand for the 540 faces it samples: P(closed) = σ(−1.668 − 28.0·(EAR − 0.25)).
//     The net's eyelids separate closed eyes poorly (its training faces have open eyes):
//     P(closed) reaches 0.5 only at EAR 0.19, so "closed" is rarely reported.
//
// An attribute whose confidence is below minShapeConfidence is omitted, as SkyBiometry
// omits what it cannot determine reliably.
const minShapeConfidence = 60

func dist(a, b faceapi.Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// lipsParted is the probability that the lips are parted.
func lipsParted(lm *[68]faceapi.Point) float64 {
	w := dist(lm[48], lm[54])
	if w < 1 {
		return 0.5
	}
	return sigmoid(-2.285 + 21.74*dist(lm[62], lm[66])/w)
}

// eyesClosed is the probability that the eyes are closed.
func eyesClosed(lm *[68]faceapi.Point) float64 {
	w := dist(lm[36], lm[39]) + dist(lm[42], lm[45])
	if w < 1 {
		return 0.5
	}
	ear := (dist(lm[37], lm[41]) + dist(lm[38], lm[40]) + dist(lm[43], lm[47]) + dist(lm[44], lm[46])) / (2 * w)
	return sigmoid(-1.668 - 28.0*(ear-0.25))
}

// shapeAttributes adds lips and eyes when asked for and determined reliably enough.
func shapeAttributes(lm *[68]faceapi.Point, want map[string]bool, out map[string]service.Attribute) {
	binary := func(name string, p float64, yes, no string) {
		value, c := yes, p
		if p < 0.5 {
			value, c = no, 1-p
		}
		if conf := percent(float32(c)); conf >= minShapeConfidence {
			out[name] = service.Attribute{Value: value, Confidence: conf}
		}
	}
	if want["lips"] {
		binary("lips", lipsParted(lm), "parted", "sealed")
	}
	if want["eyes"] {
		binary("eyes", eyesClosed(lm), "closed", "open")
	}
}
