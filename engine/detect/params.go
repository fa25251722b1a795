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
	// cnn, when set, makes the SSD face detector the primary stage (see cnnParams).
	cnn *cnnParams
}

// turn converts degrees to pigo's angle unit (a fraction of a full turn in [0, 1)).
func turn(deg float64) float64 {
	t := deg / 360
	if t < 0 {
		t++
	}
	return t
}

// modes are the detection modes by name. "normal" and "aggressive" are SkyBiometry's
// detector values; "cascade" is the pigo-only detector the engine used before the CNN,
// kept for comparison (go run ./tests/bench detect) and as the cheapest path.
//
// Chosen by measurement on the WIDER crowd photos, the detection set and LFW (BENCHMARKS.md,
// "detect: CNN modes"): normal runs the SSD once at a 416 input, score > 0.3, keeping the
// better of two boxes overlapping by IoU > 0.3; aggressive runs the SSD at the trained 512
// input, which upsamples small images and finds smaller faces, with a
// lower threshold, plus a 416 pass that adds large faces the upsampled pass missed
// (close-up portraits such as LFW's) and, on images nearer 416 than 512 px, gives the
// large faces both passes found its box (mergeLarge), keeps the better of two boxes
// overlapping by IoU > 0.4 (0.3 lost one WIDER face), and falls back to the cascade on
// images where the CNN finds no face.
var modes = map[string]params{
	"normal":     {cnn: &cnnParams{minScore: 0.3, minSide: 16, inputSize: 416, overlapIoU: 0.3, cascade: &cascadeParams}},
	"aggressive": {cnn: &cnnParams{minScore: 0.2, minSide: 16, inputSize: 512, largeSize: 416, largeMinScore: 0.3, overlapIoU: 0.4, cascade: &cascadeParams}},
	"cascade":    cascadeParams,
}

// cascadeParams are the pigo face cascade's settings (the engine's detector before the
// CNN, chosen on the detection set and LFW).
var cascadeParams = params{
	minFrac: 0.06, minAbs: 28,
	shift: 0.1, scale: 1.1,
	iou: 0.2, minQ: 4,
	angles:   []float64{turn(-22.5), turn(22.5)},
	rotShift: 0.15, rotScale: 1.2,
	sureQ: 20, denseShift: 0.05, denseScale: 1.05, maxRefine: 24,
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
