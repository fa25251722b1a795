package faceapi

import (
	"errors"
	"fmt"
	"image"

	"github.com/facegate/facegate/engine/internal/nn"
)

// Point is a position in image pixels.
type Point struct{ X, Y float64 }

// errEmpty is returned for crops with no pixels.
var errEmpty = errors.New("empty face region")

// Landmarks returns the 68 iBUG points of the face in box (a detection box in img pixels).
// The box is clipped to the image; the points are in img pixels. The net's input is taken
// from img directly (imageInput), so a large face costs no crop of its size.
func (m *Models) Landmarks(img image.Image, box image.Rectangle) ([68]Point, error) {
	var pts [68]Point
	r := box.Canon().Intersect(img.Bounds())
	if r.Empty() {
		return pts, fmt.Errorf("landmarks: %w", errEmpty)
	}
	a := m.arena()
	defer m.release(a)
	pts, err := m.landmarks68(a, imageInput(a, img, r, FaceNetSize), r.Dx(), r.Dy())
	if err != nil {
		return pts, err
	}
	for i := range pts {
		pts[i].X += float64(r.Min.X)
		pts[i].Y += float64(r.Min.Y)
	}
	return pts, nil
}

// LandmarksRGB runs the 68-point net on a face crop and returns points in crop pixels,
// decoded as face-api does (relative to the centred padded square).
func (m *Models) LandmarksRGB(crop *RGB) ([68]Point, error) {
	if crop == nil || crop.W <= 0 || crop.H <= 0 {
		return [68]Point{}, fmt.Errorf("landmarks: %w", errEmpty)
	}
	a := m.arena()
	defer m.release(a)
	return m.landmarks68(a, netInput(a, crop, FaceNetSize), crop.W, crop.H)
}

// landmarks68 runs the net on input x, made from a w×h crop, and returns the points in
// crop pixels.
func (m *Models) landmarks68(a *nn.Arena, x nn.Tensor, cw, ch int) ([68]Point, error) {
	var pts [68]Point
	out, err := m.landmark.forward(a, x)
	if err != nil {
		return pts, fmt.Errorf("landmarks: %w", err)
	}
	w, h := float64(cw), float64(ch)
	s := FaceNetSize / max(w, h)
	var padX, padY float64
	if w < h {
		padX = (h - w) * s / 2
	} else if h < w {
		padY = (w - h) * s / 2
	}
	for i := range pts {
		x, y := float64(out[2*i]), float64(out[2*i+1])
		pts[i].X = (x*FaceNetSize - padX) / (w * s) * w
		pts[i].Y = (y*FaceNetSize - padY) / (h * s) * h
	}
	return pts, nil
}

// centres returns the centres of the image-left eye (36–41), the image-right eye (42–47)
// and the mouth (48–67).
func centres(lm *[68]Point) (l, r, mouth Point) {
	return meanOf(lm[36:42]), meanOf(lm[42:48]), meanOf(lm[48:68])
}

func meanOf(p []Point) Point {
	var s Point
	for _, q := range p {
		s.X += q.X
		s.Y += q.Y
	}
	n := float64(len(p))
	return Point{s.X / n, s.Y / n}
}
