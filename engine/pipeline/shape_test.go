package pipeline

import (
	"context"
	"testing"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/service"
)

// Photos labelled by eye among the calibration faces (shape.go): wide-open mouths and
// closed lips, open eyes.
func TestLipsAndEyesOnLabelledPhotos(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		person string
		n      int
		lips   string
		eyes   string
	}{
		{"Paul_Wellstone", 2, "parted", "open"},
		{"Bob_Graham", 3, "parted", ""},
		{"Silvia_Farina_Elia", 2, "sealed", ""},
		{"Vaclav_Klaus", 2, "sealed", ""},
		{"Adam_Sandler", 1, "", "open"},
		{"Danielle_Spencer", 1, "", "open"},
	}
	for _, c := range cases {
		got, err := a.Analyze(context.Background(), lfwImage(t, c.person, c.n), service.AnalyzeOptions{Attributes: []string{"lips", "eyes"}})
		if err != nil || len(got.Faces) == 0 {
			t.Fatalf("%s: %v", c.person, err)
		}
		at := got.Faces[0].Attributes
		if c.lips != "" && at["lips"].Value != c.lips {
			t.Errorf("%s: lips %+v, want %s", c.person, at["lips"], c.lips)
		}
		if c.eyes != "" && at["eyes"].Value != c.eyes {
			t.Errorf("%s: eyes %+v, want %s", c.person, at["eyes"], c.eyes)
		}
		for _, name := range []string{"lips", "eyes"} {
			if v, ok := at[name]; ok && (v.Confidence < minShapeConfidence || v.Confidence > 100) {
				t.Errorf("%s: %s confidence %d outside [%d, 100]", c.person, name, v.Confidence, minShapeConfidence)
			}
		}
		if _, ok := at["gender"]; ok {
			t.Errorf("%s: gender computed without being asked", c.person)
		}
	}
}

// The shape measures follow the points: opening the inner lips or closing the lids moves
// the answer, and a degenerate set of points is undetermined (omitted).
func TestShapeAttributesFollowPoints(t *testing.T) {
	var lm [68]faceapi.Point
	for i := range lm {
		lm[i] = faceapi.Point{X: 100, Y: 100}
	}
	want := map[string]bool{"lips": true, "eyes": true}
	out := map[string]service.Attribute{}
	shapeAttributes(&lm, want, out)
	if len(out) != 0 {
		t.Fatalf("all points at one place: %v, want nothing determined", out)
	}
	lm[48], lm[54] = faceapi.Point{X: 80, Y: 150}, faceapi.Point{X: 120, Y: 150}
	lm[62], lm[66] = faceapi.Point{X: 100, Y: 148}, faceapi.Point{X: 100, Y: 160}
	eye := func(i int, x0, open float64) {
		lm[i] = faceapi.Point{X: x0, Y: 100}
		lm[i+3] = faceapi.Point{X: x0 + 20, Y: 100}
		lm[i+1], lm[i+2] = faceapi.Point{X: x0 + 7, Y: 100 - open}, faceapi.Point{X: x0 + 13, Y: 100 - open}
		lm[i+5], lm[i+4] = faceapi.Point{X: x0 + 7, Y: 100 + open}, faceapi.Point{X: x0 + 13, Y: 100 + open}
	}
	eye(36, 60, 3.5)
	eye(42, 120, 3.5)
	shapeAttributes(&lm, want, out)
	if out["lips"].Value != "parted" || out["eyes"].Value != "open" {
		t.Errorf("gap 0.3 of the mouth width, eyes 0.35 high: %v", out)
	}
	lm[66] = faceapi.Point{X: 100, Y: 148}
	eye(36, 60, 0.5)
	eye(42, 120, 0.5)
	out = map[string]service.Attribute{}
	shapeAttributes(&lm, want, out)
	if out["lips"].Value != "sealed" || out["eyes"].Value != "closed" {
		t.Errorf("no lip gap, lids 0.05 apart: %v", out)
	}
}
