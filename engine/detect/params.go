package detect

// params are the search settings of one detection mode.
type params struct {
	// minFrac is the smallest face searched, as a fraction of the working image's short
	// side, never below minAbs working pixels.
	minFrac float64
	minAbs  int
	// shift is the window step as a fraction of the window size; scale the factor between
	// successive window sizes.
	shift, scale float64
	// iou merges raw windows of one angle into a face (pigo ClusterDetections).
	iou float64
	// minQ is the smallest clustered score (sum of member scores, normalised to the
	// window density of shift 0.1 / scale 1.1, see density) reported as a face.
	minQ float32
	// angles are extra in-plane rotations scanned (pigo turns, 1 = 360°; quantised to
	// 1/32 turn by pigo's lookup tables), each with its own step and scale factor.
	angles             []float64
	rotShift, rotScale float64
	// Uncertain upright faces (score below sureQ) are re-scored by a dense local scan
	// (denseShift, denseScale), at most maxRefine per image; see refine.
	sureQ                  float32
	denseShift, denseScale float64
	maxRefine              int
}

// turn converts degrees to pigo's angle unit (a fraction of a full turn in [0, 1)).
func turn(deg float64) float64 {
	t := deg / 360
	if t < 0 {
		t++
	}
	return t
}

var modes = map[string]params{
	"normal": {
		minFrac: 0.06, minAbs: 28,
		shift: 0.1, scale: 1.1,
		iou: 0.2, minQ: 4,
		angles:   []float64{turn(-22.5), turn(22.5)},
		rotShift: 0.15, rotScale: 1.2,
		sureQ: 20, denseShift: 0.05, denseScale: 1.05, maxRefine: 24,
	},
	"aggressive": {
		minFrac: 0.04, minAbs: 20,
		shift: 0.05, scale: 1.05,
		iou: 0.2, minQ: 4,
		angles:   []float64{turn(-33.75), turn(-22.5), turn(-11.25), turn(11.25), turn(22.5), turn(33.75)},
		rotShift: 0.1, rotScale: 1.1,
		sureQ: 20, denseShift: 0.04, denseScale: 1.04, maxRefine: 64,
	},
}

// Limits on per-request work.
const (
	// maxRaw caps raw cascade windows kept per angle before clustering.
	maxRaw = 20000
	// defaultMaxFaces bounds the faces returned (and landmarked) when Options.MaxFaces is 0.
	defaultMaxFaces = 64
	// hardMaxFaces bounds Options.MaxFaces.
	hardMaxFaces = 256
)
