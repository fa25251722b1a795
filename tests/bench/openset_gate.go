package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/facegate/facegate/engine/service"
)

// gateFlags choose the face-quality gate the benchmarks apply to cached analyses (every
// face is described; see cachedAnalyzer.keep). Unless one of them is set, the engine's own
// verdict stands. A set flag re-applies the whole gate from the face's recorded inputs,
// the other bounds at the engine's values: box side ≥ 40 px, detector score ≥ 50, every
// point's confidence ≥ 40, |yaw| ≤ 40°, |pitch| ≤ 30° (engine/detect), and sharpness.
type gateFlags struct {
	minSide, minScore, minPoints, maxYaw, maxPitch, minSharpness float64
	none                                                         bool
}

func (g *gateFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&g.minSide, "gate-min-side", 40, "studied gate: smallest box side in pixels")
	fs.Float64Var(&g.minScore, "gate-min-score", 50, "studied gate: smallest detector score (0-100)")
	fs.Float64Var(&g.minPoints, "gate-min-points", 40, "studied gate: smallest eye, nose and mouth confidence")
	fs.Float64Var(&g.maxYaw, "gate-max-yaw", 40, "studied gate: largest |yaw| in degrees")
	fs.Float64Var(&g.maxPitch, "gate-max-pitch", 30, "studied gate: largest |pitch| in degrees")
	fs.Float64Var(&g.minSharpness, "gate-min-sharpness", 0, "studied gate: smallest sharpness of the descriptor chip")
	fs.BoolVar(&g.none, "gate-none", false, "studied gate: every described face is recognizable")
}

func (g *gateFlags) custom() bool {
	return g.none || g.minSide != 40 || g.minScore != 50 || g.minPoints != 40 || g.maxYaw != 40 || g.maxPitch != 30 || g.minSharpness != 0
}

func (g *gateFlags) String() string {
	switch {
	case g.none:
		return "none (every described face)"
	case !g.custom():
		return "the engine's"
	}
	return fmt.Sprintf("side ≥ %g px, score ≥ %g, points ≥ %g, |yaw| ≤ %g, |pitch| ≤ %g, sharpness ≥ %g",
		g.minSide, g.minScore, g.minPoints, g.maxYaw, g.maxPitch, g.minSharpness)
}

// keep returns the studied gate, or nil for the engine's own.
func (g *gateFlags) keep() func(a *service.Analyzed, f *service.Face) bool {
	switch {
	case g.none:
		return func(*service.Analyzed, *service.Face) bool { return true }
	case !g.custom():
		return nil
	}
	return func(a *service.Analyzed, f *service.Face) bool {
		side := math.Sqrt(f.Width / 100 * float64(a.Width) * f.Height / 100 * float64(a.Height))
		points := min(f.EyeLeft.Confidence, f.EyeRight.Confidence, f.Nose.Confidence, f.Mouth.Confidence)
		return side >= g.minSide && float64(f.Confidence) >= g.minScore && float64(points) >= g.minPoints &&
			math.Abs(f.Yaw) <= g.maxYaw && math.Abs(f.Pitch) <= g.maxPitch && f.Sharpness >= g.minSharpness
	}
}
