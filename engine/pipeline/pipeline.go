package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// SkyBiometry's ids of the four points every tag carries.
const (
	idEyeLeft  = 449
	idEyeRight = 450
	idNose     = 403
	idMouth    = 615
	// idPointBase is the id of the first of the 68 extra points (0x03NN).
	idPointBase = 0x0300
)

// Options bound the images an Analyzer accepts.
type Options struct {
	MaxBytes  int64    // largest image, in bytes (0: imageio's default)
	MaxPixels int64    // largest width×height (0: imageio's default)
	MaxFaces  int      // most faces analysed per image (0: 32)
	Observe   Observer // optional: receives each stage's duration (see Stage)
	// DescribeAll computes descriptors also for the faces the quality gate finds not
	// recognizable (they stay not recognizable), so that benchmarks can study the gate.
	DescribeAll bool
}

// Analyzer is the engine behind every image method.
type Analyzer struct {
	opts   Options
	det    *detect.Detector
	models *faceapi.Models
}

var (
	loadOnce sync.Once
	shared   struct {
		det    *detect.Detector
		models *faceapi.Models
		err    error
	}
)

// New returns an Analyzer; the models are loaded on the first call only.
func New(opts Options) (*Analyzer, error) {
	loadOnce.Do(func() {
		shared.models, shared.err = faceapi.Load()
		if shared.err != nil {
			return
		}
		shared.det, shared.err = detect.NewWithLandmarks(landmarker{shared.models})
	})
	if shared.err != nil {
		return nil, fmt.Errorf("loading face models: %w", shared.err)
	}
	if opts.MaxFaces <= 0 {
		opts.MaxFaces = 32
	}
	return &Analyzer{opts: opts, det: shared.det, models: shared.models}, nil
}

// Analyze decodes data, finds the faces and computes what opt asks for.
func (a *Analyzer) Analyze(ctx context.Context, data []byte, opt service.AnalyzeOptions) (*service.Analyzed, error) {
	t := time.Now()
	img, err := imageio.Decode(data, imageio.Limits{MaxBytes: a.opts.MaxBytes, MaxPixels: a.opts.MaxPixels})
	t = a.opts.Observe.since(StageDecode, t)
	if err != nil {
		return nil, decodeError(err)
	}
	faces := a.det.Detect(img, detect.Options{Mode: opt.Detector, MaxFaces: a.opts.MaxFaces})
	a.opts.Observe.since(StageDetect, t)
	want := attributeSet(opt.Attributes)
	out := &service.Analyzed{Width: img.Width, Height: img.Height, Faces: make([]service.Face, 0, len(faces))}
	for _, f := range faces {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out.Faces = append(out.Faces, a.face(img, f, opt, want))
	}
	return out, nil
}

// face converts one detection to percent coordinates and runs the CNNs it needs.
func (a *Analyzer) face(img *imageio.Image, f detect.Face, opt service.AnalyzeOptions, want map[string]bool) service.Face {
	w, h := float64(img.Width), float64(img.Height)
	pct := func(p detect.Point, id int) service.Point {
		return service.Point{X: round2(100 * p.X / w), Y: round2(100 * p.Y / h), Confidence: p.Confidence, ID: id}
	}
	b := f.Box
	f.Recognizable = recognizable(f)
	sf := service.Face{
		CenterX:      round2(100 * float64(b.Min.X+b.Max.X) / 2 / w),
		CenterY:      round2(100 * float64(b.Min.Y+b.Max.Y) / 2 / h),
		Width:        round2(100 * float64(b.Dx()) / w),
		Height:       round2(100 * float64(b.Dy()) / h),
		Roll:         math.Round(f.Roll),
		Yaw:          math.Round(f.Yaw),
		Pitch:        math.Round(f.Pitch),
		Confidence:   f.Confidence,
		Recognizable: f.Recognizable,
		EyeLeft:      pct(f.EyeLeft, idEyeLeft),
		EyeRight:     pct(f.EyeRight, idEyeRight),
		Nose:         pct(f.Nose, idNose),
		Mouth:        pct(f.Mouth, idMouth),
		Attributes:   map[string]service.Attribute{"face": {Value: "true", Confidence: f.Confidence}},
	}
	needCNN := opt.Describe || opt.AllPoints || want["gender"] || want["age_est"] || want["mood"] || want["smiling"] || want["lips"] || want["eyes"]
	if !needCNN {
		return sf
	}
	t := time.Now()
	lm, err := a.landmarks(img, f)
	t = a.opts.Observe.since(StageLandmarks, t)
	if err != nil {
		sf.Recognizable = false
		return sf
	}
	if opt.AllPoints {
		sf.Points = make([]service.Point, len(lm))
		for i, p := range lm {
			sf.Points[i] = service.Point{X: round2(100 * p.X / w), Y: round2(100 * p.Y / h), Confidence: f.Confidence, ID: idPointBase + i}
		}
	}
	if opt.Describe && (f.Recognizable || a.opts.DescribeAll) {
		o := faceapi.DefaultOptions
		if opt.Detector == "aggressive" {
			o = faceapi.AggressiveOptions // the most accurate mode: 4 descriptor passes
		}
		d, sharp, err := a.models.DescriptorSharpnessWith(img.Img, lm, o)
		t = a.opts.Observe.since(StageDescriptor, t)
		if err == nil {
			sf.Descriptor, sf.Sharpness = d[:], sharp
		} else {
			sf.Recognizable = false
		}
	}
	a.attributes(img.Img, lm, want, sf.Attributes)
	a.opts.Observe.since(StageAttributes, t)
	return sf
}

// attributes adds gender, age_est, mood and smiling when asked for.
// SkyBiometry omits an attribute it cannot determine reliably; so does facegate.
func (a *Analyzer) attributes(img image.Image, lm [68]faceapi.Point, want map[string]bool, out map[string]service.Attribute) {
	shapeAttributes(&lm, want, out)
	if want["gender"] || want["age_est"] {
		if age, male, err := a.models.AgeGender(img, lm); err == nil {
			if want["gender"] {
				value, p := "male", male
				if male < 0.5 {
					value, p = "female", 1-male
				}
				if p >= 0.6 {
					out["gender"] = service.Attribute{Value: value, Confidence: percent(p)}
				}
			}
			if want["age_est"] && age > 0 && age < 120 {
				out["age_est"] = service.Attribute{Value: fmt.Sprintf("%d", int(math.Round(float64(age)))), Confidence: 50}
			}
		}
	}
	if want["mood"] || want["smiling"] {
		if p, err := a.models.Expression(img, lm); err == nil {
			best := 0
			for i := range p {
				if p[i] > p[best] {
					best = i
				}
			}
			if want["mood"] {
				out["mood"] = service.Attribute{Value: faceapi.Expressions[best], Confidence: percent(p[best])}
			}
			if want["smiling"] {
				happy := p[1]
				value, c := "false", 1-happy
				if happy >= 0.5 {
					value, c = "true", happy
				}
				out["smiling"] = service.Attribute{Value: value, Confidence: percent(c)}
			}
		}
	}
}

// attributeSet expands SkyBiometry's `attributes` parameter. Absent means
// SkyBiometry's default set (face, gender, smiling); "all" adds age, mood, lips and eyes.
func attributeSet(names []string) map[string]bool {
	set := map[string]bool{"face": true}
	if len(names) == 0 {
		set["gender"], set["smiling"] = true, true
		return set
	}
	for _, n := range names {
		switch n {
		case "none":
			return set
		case "all":
			for _, k := range []string{"gender", "smiling", "age_est", "mood", "lips", "eyes"} {
				set[k] = true
			}
		default:
			set[n] = true
		}
	}
	return set
}

// decodeError maps imageio's errors to SkyBiometry's error 20.
func decodeError(err error) error {
	se := skyerr.New(skyerr.ImgDecode, err.Error())
	if errors.Is(err, imageio.ErrTooLarge) {
		se.HTTPStatus = skyerr.StatusTooLarge
	}
	return fmt.Errorf("%w: %w", service.ErrImageDecode, se)
}

func percent(p float32) int { return int(math.Round(100 * math.Max(0, math.Min(1, float64(p))))) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Interface guard.
var _ service.Analyzer = (*Analyzer)(nil)
