package pipeline

import (
	"image"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
)

// landmarker lets engine/detect place faces' points with the face-api landmark net.
type landmarker struct{ m *faceapi.Models }

func (l landmarker) Landmarks68(img image.Image, box image.Rectangle) ([68][2]float64, error) {
	var out [68][2]float64
	pts, err := l.m.Landmarks(img, box)
	if err != nil {
		return out, err
	}
	for i, p := range pts {
		out[i] = [2]float64{p.X, p.Y}
	}
	return out, nil
}

// landmarks returns the 68 points of f: those the detector placed with the landmark net,
// or the net run on f's box.
func (a *Analyzer) landmarks(img *imageio.Image, f detect.Face) ([68]faceapi.Point, error) {
	if f.Landmarks != nil {
		var lm [68]faceapi.Point
		o := img.Img.Bounds().Min
		for i, p := range f.Landmarks {
			lm[i] = faceapi.Point{X: p.X + float64(o.X), Y: p.Y + float64(o.Y)}
		}
		return lm, nil
	}
	return a.models.Landmarks(img.Img, f.Box.Add(img.Img.Bounds().Min).Intersect(img.Img.Bounds()))
}

// Detector returns the engine's shared face detector, with the landmark net wired in as
// the Analyzer uses it (for benchmarks and tools that measure what the API does).
func Detector() (*detect.Detector, error) {
	if _, err := New(Options{}); err != nil {
		return nil, err
	}
	return shared.det, nil
}
