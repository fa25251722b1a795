package main

import (
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/facegate/facegate/engine/faceapi"
)

// recogVariant is one way of turning (image, first landmarks) into a descriptor.
type recogVariant struct {
	name string
	desc func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, lmBox image.Rectangle) ([128]float32, error)
}

var recogVariants = []recogVariant{
	{"default", func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.Descriptor(img, lm) // similarity alignment + mirror averaging
	}},
	{"similarity", func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorAligned(img, lm, faceapi.AlignSimilarity)
	}},
	{"crop", func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorAligned(img, lm, faceapi.AlignCrop)
	}},
	{"crop+flip", func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorWith(img, lm, faceapi.Options{Alignment: faceapi.AlignCrop, Flip: true})
	}},
	{"default+refine", func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		lm2, err := m.Landmarks(img, landmarkBox(lm))
		if err != nil {
			return [128]float32{}, err
		}
		return m.Descriptor(img, lm2)
	}},
	{"dlib", func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorWith(img, lm, faceapi.Options{Alignment: faceapi.AlignDlib, Flip: true})
	}},
	{"lmflip", func(m *faceapi.Models, img image.Image, _ [68]faceapi.Point, lmBox image.Rectangle) ([128]float32, error) {
		lm, err := m.LandmarksFlip(img, lmBox)
		if err != nil {
			return [128]float32{}, err
		}
		return m.Descriptor(img, lm)
	}},
	{"lmflip+dlib", func(m *faceapi.Models, img image.Image, _ [68]faceapi.Point, lmBox image.Rectangle) ([128]float32, error) {
		lm, err := m.LandmarksFlip(img, lmBox)
		if err != nil {
			return [128]float32{}, err
		}
		return m.DescriptorWith(img, lm, faceapi.Options{Alignment: faceapi.AlignDlib, Flip: true})
	}},
}

// landmarkBox is a square box around the landmarks, 1.25× the larger side of their
// bounding box, shifted up a little as detector boxes include the forehead.
func landmarkBox(lm [68]faceapi.Point) image.Rectangle {
	x0, y0, x1, y1 := lm[0].X, lm[0].Y, lm[0].X, lm[0].Y
	for _, p := range lm {
		x0, y0, x1, y1 = math.Min(x0, p.X), math.Min(y0, p.Y), math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	s := 1.25 * math.Max(x1-x0, y1-y0)
	cx, cy := (x0+x1)/2, (y0+y1)/2-0.05*s
	return image.Rect(int(cx-s/2), int(cy-s/2), int(cx+s/2), int(cy+s/2))
}

// pickVariants parses a comma-separated list of variant names.
func pickVariants(list string) ([]recogVariant, error) {
	var out []recogVariant
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, v := range recogVariants {
			if v.name == strings.TrimSpace(name) {
				out = append(out, v)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown variant %q", name)
		}
	}
	return out, nil
}
