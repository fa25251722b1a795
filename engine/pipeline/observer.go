package pipeline

import "time"

// Stage names one step of Analyzer.Analyze whose duration Options.Observe receives.
type Stage string

// The stages of an analysis, in the order they run. Detect includes whatever
// the detector needs to place a face's points (the pupil and landmark
// cascades, or the 68-point net in the CNN modes); Landmarks is the 68-point
// net run per face for descriptors, attributes or all feature points.
const (
	StageDecode     Stage = "decode"
	StageDetect     Stage = "detect"
	StageLandmarks  Stage = "landmarks"
	StageDescriptor Stage = "descriptor"
	StageAttributes Stage = "attributes"
)

// Stages lists every Stage, for observers that want to know them in advance.
var Stages = []Stage{StageDecode, StageDetect, StageLandmarks, StageDescriptor, StageAttributes}

// Observer receives the duration of one stage of one analysis (per image for
// decode and detect, per face for the others). It is called from the
// analysing goroutine, so it must be fast and safe for concurrent use. It
// never sees image data or descriptors.
type Observer func(stage Stage, d time.Duration)

// since reports the time from start to now for stage, when o is set, and
// returns now (the start of the next stage).
func (o Observer) since(stage Stage, start time.Time) time.Time {
	now := time.Now()
	if o != nil {
		o(stage, now.Sub(start))
	}
	return now
}
