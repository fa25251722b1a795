package faceapi

import (
	"fmt"
	"image"
	"math"
)

// Expressions lists the expression classes in the order Expression returns them.
var Expressions = [7]string{"neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"}

// AlignedRect is face-api's crop for age/gender and expression: the bounding box of the
// landmarks grown by 10 % of its size on each side, clipped to bounds.
func AlignedRect(lm [68]Point, bounds image.Rectangle) image.Rectangle {
	x0, y0, x1, y1 := lm[0].X, lm[0].Y, lm[0].X, lm[0].Y
	for _, p := range lm[1:] {
		x0, y0 = math.Min(x0, p.X), math.Min(y0, p.Y)
		x1, y1 = math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	w, h := x1-x0, y1-y0
	x, y := x0-0.1*w, y0-0.1*h
	cx, cy := math.Max(x, float64(bounds.Min.X)), math.Max(y, float64(bounds.Min.Y))
	cw := math.Min(x+1.2*w-cx, float64(bounds.Max.X)-cx)
	ch := math.Min(y+1.2*h-cy, float64(bounds.Max.Y)-cy)
	if !(cw > 0 && ch > 0) {
		return image.Rectangle{}
	}
	x0i, y0i := int(math.Floor(cx)), int(math.Floor(cy))
	r := image.Rect(x0i, y0i, x0i+int(math.Floor(cw)), y0i+int(math.Floor(ch)))
	return r.Intersect(bounds)
}

func (m *Models) attributeCrop(img image.Image, lm [68]Point) (*RGB, error) {
	if !finite(lm[:]) {
		return nil, fmt.Errorf("landmarks are not finite")
	}
	r := AlignedRect(lm, img.Bounds())
	if r.Empty() {
		return nil, errEmpty
	}
	return ToRGB(img, r), nil
}

// AgeGender estimates the age in years and the probability that the face is male.
func (m *Models) AgeGender(img image.Image, lm [68]Point) (age float32, maleProb float32, err error) {
	crop, err := m.attributeCrop(img, lm)
	if err != nil {
		return 0, 0, fmt.Errorf("age/gender: %w", err)
	}
	return m.AgeGenderRGB(crop)
}

// AgeGenderRGB runs the age/gender net on a face crop.
func (m *Models) AgeGenderRGB(crop *RGB) (age float32, maleProb float32, err error) {
	if crop == nil || crop.W <= 0 || crop.H <= 0 {
		return 0, 0, fmt.Errorf("age/gender: %w", errEmpty)
	}
	a := m.arena()
	defer m.release(a)
	age, g, err := m.ageGender.forward(a, netInput(a, crop, FaceNetSize))
	if err != nil {
		return 0, 0, fmt.Errorf("age/gender: %w", err)
	}
	return age, g[0], nil
}

// Expression returns the probabilities of the seven expressions (see Expressions).
func (m *Models) Expression(img image.Image, lm [68]Point) ([7]float32, error) {
	crop, err := m.attributeCrop(img, lm)
	if err != nil {
		return [7]float32{}, fmt.Errorf("expression: %w", err)
	}
	return m.ExpressionRGB(crop)
}

// ExpressionRGB runs the expression net on a face crop.
func (m *Models) ExpressionRGB(crop *RGB) ([7]float32, error) {
	var p [7]float32
	if crop == nil || crop.W <= 0 || crop.H <= 0 {
		return p, fmt.Errorf("expression: %w", errEmpty)
	}
	a := m.arena()
	defer m.release(a)
	out, err := m.expr.forward(a, netInput(a, crop, FaceNetSize))
	if err != nil {
		return p, fmt.Errorf("expression: %w", err)
	}
	copy(p[:], out)
	// face-api applies softmax to the FC output.
	softmax7(&p)
	return p, nil
}

func softmax7(p *[7]float32) {
	m := p[0]
	for _, v := range p {
		m = max(m, v)
	}
	var s float64
	var e [7]float64
	for i, v := range p {
		e[i] = math.Exp(float64(v - m))
		s += e[i]
	}
	for i := range p {
		p[i] = float32(e[i] / s)
	}
}
