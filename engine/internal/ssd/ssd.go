package ssd

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"runtime"
	"sync"

	"github.com/facegate/facegate/engine/internal/nn"
	weights "github.com/facegate/facegate/engine/models/faceapi"
)

// modelName is the file stem of the weights in engine/models/faceapi.
const modelName = "ssd_mobilenetv1_model"

// Defaults of face-api's SsdMobilenetv1Options.
const (
	DefaultMinConfidence = 0.5
	DefaultMaxResults    = 100
)

// Detection is one face found by the network.
type Detection struct {
	// X, Y, W, H is the box in pixels of the image passed to Detect (X, Y the top-left
	// corner). As in face-api, a box is clipped to the padded input square, not to the
	// image, so on a non-square region it may reach past the region's edge.
	X, Y, W, H float64
	Score      float32 // sigmoid of the face logit, 0…1
}

// Options tune one Detect call; zero fields take face-api's defaults.
type Options struct {
	MinConfidence float32 // keep boxes scoring above this (0: DefaultMinConfidence)
	MaxResults    int     // keep at most this many boxes (0: DefaultMaxResults)
	// InputSize is the side the region is resized to (0: DefaultInputSize, the size the
	// network was trained at; clamped to MinInputSize…MaxInputSize, rounded down to a
	// multiple of 32). Smaller inputs cost about (InputSize/512)² and miss small faces;
	// their priors are generated with the training anchor generator (priors.go).
	InputSize int
}

// Net is the loaded SSD MobileNet v1 face detector. It is safe for concurrent use; each
// call takes its own scratch state (about 40 MB: input, two activation buffers, im2col
// and head buffers, sized once for the 512 input) from a free list. The list keeps up to
// GOMAXPROCS states for good, unlike a sync.Pool, which drops its items after two
// garbage collections and would make a busy server reallocate them again and again.
type Net struct {
	net    *network
	states chan *state
}

var (
	loadOnce   sync.Once
	loaded     *Net
	loadFailed error
)

// Load returns the detector decoded from the embedded model files, once per process.
func Load() (*Net, error) {
	loadOnce.Do(func() { loaded, loadFailed = LoadFS(weights.Files) })
	return loaded, loadFailed
}

// LoadFS decodes the detector from a file system holding face-api's
// ssd_mobilenetv1_model-weights_manifest.json and ssd_mobilenetv1_model.bin.
func LoadFS(fsys fs.FS) (*Net, error) {
	man, err := fs.ReadFile(fsys, modelName+"-weights_manifest.json")
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", modelName, err)
	}
	bin, err := fs.ReadFile(fsys, modelName+".bin")
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", modelName, err)
	}
	w, err := nn.LoadWeights(man, bin)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", modelName, err)
	}
	net, err := newNetwork(w)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", modelName, err)
	}
	return &Net{net: net, states: make(chan *state, runtime.GOMAXPROCS(0))}, nil
}

// WeightBytes reports the memory held by the decoded float32 weights.
func (n *Net) WeightBytes() int { return 4 * n.net.params() }

// ErrEmptyRegion is returned for a region with no pixels inside the image.
var ErrEmptyRegion = errors.New("ssd: empty region")

// Detect finds faces in the part r of img (r is clipped to img's bounds; pass
// img.Bounds() for the whole image) and returns them in descending score order, with
// boxes in img's pixel coordinates. The region is padded at the bottom or right to a
// square and resized to opt.InputSize (512×512 by default), as face-api does with tensor
// inputs.
func (n *Net) Detect(img image.Image, r image.Rectangle, opt Options) ([]Detection, error) {
	r = r.Intersect(img.Bounds())
	if r.Empty() {
		return nil, ErrEmptyRegion
	}
	if opt.MinConfidence <= 0 {
		opt.MinConfidence = DefaultMinConfidence
	}
	if opt.MaxResults <= 0 {
		opt.MaxResults = DefaultMaxResults
	}
	size := DefaultInputSize
	if opt.InputSize > 0 {
		size = min(max(opt.InputSize, MinInputSize), MaxInputSize) / 32 * 32
	}
	priors := n.net.priors.get(size)
	s := n.getState()
	defer n.putState(s)
	x := fillInput(s.input, img, r, size)
	anchors, err := n.net.forward(s, x, len(priors)/4)
	if err != nil {
		return nil, err
	}
	kept := suppress(decode(s, priors, anchors, opt.MinConfidence), opt.MaxResults)
	// face-api maps the padded square back with the reshaped (rounded) image size.
	w, h := float64(r.Dx()), float64(r.Dy())
	n64 := float64(size)
	sc := n64 / math.Max(w, h)
	padX := n64 / math.Round(w*sc)
	padY := n64 / math.Round(h*sc)
	out := make([]Detection, 0, len(kept))
	for _, c := range kept {
		top := math.Max(0, float64(c.ymin)) * padY
		bottom := math.Min(1, float64(c.ymax)) * padY
		left := math.Max(0, float64(c.xmin)) * padX
		right := math.Min(1, float64(c.xmax)) * padX
		out = append(out, Detection{
			X: float64(r.Min.X) + left*w, Y: float64(r.Min.Y) + top*h,
			W: (right - left) * w, H: (bottom - top) * h,
			Score: c.score,
		})
	}
	return out, nil
}

func (n *Net) getState() *state {
	select {
	case s := <-n.states:
		return s
	default:
		return newState()
	}
}

func (n *Net) putState(s *state) {
	select {
	case n.states <- s:
	default: // more concurrent calls than the list keeps: let this one go
	}
}
