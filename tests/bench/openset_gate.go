package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
)

// gateFlags choose the face-quality gate the benchmarks apply to cached analyses (every
// face is described; see cachedAnalyzer.keep). By default it is the engine's gate
// (pipeline.Quality) re-applied to each face's recorded inputs, so that an analysis cache
// written before a change of the gate's bounds still measures the gate as it is now (the
// recorded pose is rounded to degrees and the box to 0.01 % of the image: a face at a
// bound may fall on the other side). The flags study other bounds; the engine's first gate
// is also there: a floor on the eye, nose and mouth confidences (the points' frontal
// geometry, 40 then) and the sharpness of the descriptor chip.
type gateFlags struct {
	minSide, maxYaw, maxPitch, minSharpness float64
	minScore, minPoints                     int
	none                                    bool
}

func (g *gateFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&g.minSide, "gate-min-side", pipeline.MinSide, "studied gate: smallest box side in pixels")
	fs.IntVar(&g.minScore, "gate-min-score", pipeline.MinScore, "studied gate: smallest detector score (0-100)")
	fs.IntVar(&g.minPoints, "gate-min-points", 0, "studied gate: smallest eye, nose and mouth confidence (the first gate: 40)")
	fs.Float64Var(&g.maxYaw, "gate-max-yaw", pipeline.MaxYaw, "studied gate: largest |yaw| in degrees")
	fs.Float64Var(&g.maxPitch, "gate-max-pitch", pipeline.MaxPitch, "studied gate: largest |pitch| in degrees")
	fs.Float64Var(&g.minSharpness, "gate-min-sharpness", 0, "studied gate: smallest sharpness of the descriptor chip")
	fs.BoolVar(&g.none, "gate-none", false, "studied gate: every described face is recognizable")
}

// engine reports whether the flags are the engine's gate.
func (g *gateFlags) engine() bool {
	return !g.none && g.minSide == pipeline.MinSide && g.minScore == pipeline.MinScore && g.minPoints == 0 &&
		g.maxYaw == pipeline.MaxYaw && g.maxPitch == pipeline.MaxPitch && g.minSharpness == 0
}

func (g *gateFlags) String() string {
	s := fmt.Sprintf("side ≥ %g px, score ≥ %d, |yaw| ≤ %g, |pitch| ≤ %g", g.minSide, g.minScore, g.maxYaw, g.maxPitch)
	if g.minPoints > 0 {
		s += fmt.Sprintf(", points ≥ %d", g.minPoints)
	}
	if g.minSharpness > 0 {
		s += fmt.Sprintf(", sharpness ≥ %g", g.minSharpness)
	}
	switch {
	case g.none:
		return "none (every described face)"
	case g.engine():
		return "the engine's (" + s + ")"
	}
	return s
}

// keep returns the studied gate.
func (g *gateFlags) keep() func(a *service.Analyzed, f *service.Face) bool {
	if g.none {
		return func(*service.Analyzed, *service.Face) bool { return true }
	}
	return func(a *service.Analyzed, f *service.Face) bool {
		side := math.Sqrt(f.Width / 100 * float64(a.Width) * f.Height / 100 * float64(a.Height))
		points := min(f.EyeLeft.Confidence, f.EyeRight.Confidence, f.Nose.Confidence, f.Mouth.Confidence)
		return side >= g.minSide && f.Confidence >= g.minScore && points >= g.minPoints &&
			math.Abs(f.Yaw) <= g.maxYaw && math.Abs(f.Pitch) <= g.maxPitch && f.Sharpness >= g.minSharpness
	}
}
