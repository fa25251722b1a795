package detect

import (
	"fmt"
	"image"
	"sort"

	pigo "github.com/esimov/pigo/core"

	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/internal/ssd"
	models "github.com/facegate/facegate/engine/models/pigo"
)

// Point is a landmark in pixels of the ORIGINAL (oriented) image, with a 0-100 confidence.
type Point struct {
	X, Y       float64
	Confidence int
}

// Face is one detected face. Coordinates are pixels of the ORIGINAL (oriented) image.
// EyeLeft is the subject's left eye, which appears on the image's right
// (EyeLeft.X > EyeRight.X for an upright frontal face).
type Face struct {
	Box        image.Rectangle
	Score      float32 // detector score: the SSD's 0…1 score, or pigo's cluster score Q
	Confidence int     // calibrated 0-100 face confidence (attributes.face)
	// Roll, Yaw and Pitch are in degrees. Roll > 0: the face is turned clockwise in the
	// image; Yaw > 0: the nose points to the image's right (the subject looks to their
	// left); Pitch > 0: the subject looks up.
	Roll, Yaw, Pitch               float64
	EyeLeft, EyeRight, Nose, Mouth Point
	// Recognizable reports whether the face is large, frontal and well landmarked enough
	// to be used for recognition and training.
	Recognizable bool
	// Landmarks are the 68 iBUG points when the landmark net placed them (CNN modes of a
	// Detector made by NewWithLandmarks); nil otherwise.
	Landmarks *[68]Point
}

// Options tune one Detect call. The zero value is the normal mode with the default cap.
type Options struct {
	Mode     string // "normal" (default), "aggressive" (finer, slower) or "cascade" (pigo only)
	MaxFaces int    // at most this many faces (largest first); 0 → 64, capped at 256
}

// Detector holds the parsed cascades. It is safe for concurrent use.
type Detector struct {
	face  *pigo.Pigo
	pupil *regressor
	nose  []*regressor // one per noseCascades entry
	mouth []*regressor // one per mouthCascades entry
	cnn   *ssd.Net
	// landmarker, when set, places the points of the CNN modes' faces (points68.go).
	landmarker Landmarker
}

// New parses the embedded cascades. Parse once per process and share the Detector.
func New() (*Detector, error) {
	face, err := pigo.NewPigo().Unpack(models.FaceFinder)
	if err != nil {
		return nil, fmt.Errorf("parse facefinder cascade: %w", err)
	}
	pupil, err := parseRegressor(models.Puploc)
	if err != nil {
		return nil, fmt.Errorf("parse puploc cascade: %w", err)
	}
	cnn, err := ssd.Load()
	if err != nil {
		return nil, fmt.Errorf("load face detector network: %w", err)
	}
	d := &Detector{face: face, pupil: pupil, cnn: cnn}
	parsed := map[string]*regressor{}
	load := func(runs []lpRun) ([]*regressor, error) {
		out := make([]*regressor, len(runs))
		for i, r := range runs {
			if parsed[r.name] == nil {
				c, err := landmark(r.name)
				if err != nil {
					return nil, err
				}
				parsed[r.name] = c
			}
			out[i] = parsed[r.name]
		}
		return out, nil
	}
	if d.nose, err = load(noseCascades); err != nil {
		return nil, err
	}
	if d.mouth, err = load(mouthCascades); err != nil {
		return nil, err
	}
	return d, nil
}

func landmark(name string) (*regressor, error) {
	b := models.Landmark(name)
	if b == nil {
		return nil, fmt.Errorf("landmark cascade %s is not embedded", name)
	}
	c, err := parseRegressor(b)
	if err != nil {
		return nil, fmt.Errorf("parse landmark cascade %s: %w", name, err)
	}
	return c, nil
}

// Detect returns the faces in img, largest first, at most opt.MaxFaces of them.
func (d *Detector) Detect(img *imageio.Image, opt Options) []Face {
	if img == nil || img.GrayWidth == 0 || img.GrayHeight == 0 {
		return nil
	}
	p, ok := modes[opt.Mode]
	if !ok {
		p = modes["normal"]
	}
	limit := opt.MaxFaces
	if limit <= 0 {
		limit = defaultMaxFaces
	}
	limit = min(limit, hardMaxFaces)
	var cands []candidate
	if p.cnn == nil {
		cands = d.scan(img, p)
	} else {
		var sawAny bool
		cands, sawAny = d.cnnScan(img, *p.cnn)
		if !sawAny && p.cnn.cascade != nil {
			cands = d.scan(img, *p.cnn.cascade)
		}
		// Largest first, by the width of the box each candidate reports.
		sort.SliceStable(cands, func(i, j int) bool { return boxWidth(img, cands[i]) > boxWidth(img, cands[j]) })
	}
	if len(cands) > limit {
		cands = cands[:limit]
	}
	faces := make([]Face, 0, len(cands))
	for _, c := range cands {
		if p.cnn != nil && d.landmarker != nil {
			if f, ok := d.describe68(img, c); ok {
				faces = append(faces, f)
				continue
			}
		}
		faces = append(faces, d.describe(img, c))
	}
	return faces
}

// DetectImage detects faces in an already decoded, upright image.
func (d *Detector) DetectImage(img image.Image, opt Options) []Face {
	if img == nil || img.Bounds().Empty() {
		return nil
	}
	return d.Detect(imageio.FromImage(img), opt)
}

// boxWidth is the width of the box describe reports for c, in original pixels.
func boxWidth(img *imageio.Image, c candidate) int {
	if !c.box.Empty() {
		return c.box.Dx()
	}
	return pigoBox(img, c).Dx()
}
