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
	// parts, when set, make the descriptor the mean of these chips' descriptors (summed in
	// order, then divided by their number), each chip described once per image whatever
	// the variants that use it; desc computes the same without that sharing.
	parts []chipPart
}

// chipPart is one descriptor pass: the chip of an alignment, or its mirror image.
type chipPart struct {
	al     faceapi.Alignment
	mirror bool
}

var (
	// partsDefault is Descriptor: the five-point similarity chip and its mirror.
	partsDefault = []chipPart{{faceapi.AlignSimilarity, false}, {faceapi.AlignSimilarity, true}}
	// partsEns2 is the five-point chip and the mirror of the dlib 33-point chip: two
	// passes, as Descriptor, over two alignments.
	partsEns2 = []chipPart{{faceapi.AlignSimilarity, false}, {faceapi.AlignDlib, true}}
	// partsEns4 is both alignments, each with its mirror: four passes.
	partsEns4 = []chipPart{{faceapi.AlignSimilarity, false}, {faceapi.AlignSimilarity, true}, {faceapi.AlignDlib, false}, {faceapi.AlignDlib, true}}
)

// partsDescriptor computes the mean descriptor of parts, describing each distinct
// chip once through cache (nil: no sharing).
func partsDescriptor(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, parts []chipPart, cache map[chipPart][128]float32) ([128]float32, error) {
	var sum [128]float32
	chips := map[faceapi.Alignment]*faceapi.RGB{}
	for _, p := range parts {
		d, ok := cache[p]
		if !ok {
			chip, ok := chips[p.al]
			if !ok {
				var err error
				if chip, err = faceapi.Chip(img, lm, p.al); err != nil {
					return sum, err
				}
				chips[p.al] = chip
			}
			if p.mirror {
				chip = faceapi.Mirror(chip)
			}
			var err error
			if d, err = m.DescribeChip(chip); err != nil {
				return sum, err
			}
			if cache != nil {
				cache[p] = d
			}
		}
		for i := range sum {
			sum[i] += d[i]
		}
	}
	n := float32(len(parts))
	for i := range sum {
		sum[i] /= n
	}
	return sum, nil
}

func partsVariant(name string, parts []chipPart) recogVariant {
	return recogVariant{name: name, parts: parts, desc: func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return partsDescriptor(m, img, lm, parts, nil)
	}}
}

var recogVariants = []recogVariant{
	// Descriptor (similarity alignment + mirror averaging): the same sum, (chip + mirror) / 2,
	// with its passes shared with ens2 and ens4.
	partsVariant("default", partsDefault),
	partsVariant("ens2", partsEns2),
	partsVariant("ens4", partsEns4),
	{name: "similarity", desc: func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorAligned(img, lm, faceapi.AlignSimilarity)
	}},
	{name: "crop", desc: func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorAligned(img, lm, faceapi.AlignCrop)
	}},
	{name: "crop+flip", desc: func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorWith(img, lm, faceapi.Options{Alignment: faceapi.AlignCrop, Flip: true})
	}},
	{name: "default+refine", desc: func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		lm2, err := m.Landmarks(img, landmarkBox(lm))
		if err != nil {
			return [128]float32{}, err
		}
		return m.Descriptor(img, lm2)
	}},
	{name: "dlib", desc: func(m *faceapi.Models, img image.Image, lm [68]faceapi.Point, _ image.Rectangle) ([128]float32, error) {
		return m.DescriptorWith(img, lm, faceapi.Options{Alignment: faceapi.AlignDlib, Flip: true})
	}},
	{name: "lmflip", desc: func(m *faceapi.Models, img image.Image, _ [68]faceapi.Point, lmBox image.Rectangle) ([128]float32, error) {
		lm, err := m.LandmarksFlip(img, lmBox)
		if err != nil {
			return [128]float32{}, err
		}
		return m.Descriptor(img, lm)
	}},
	{name: "lmflip+dlib", desc: func(m *faceapi.Models, img image.Image, _ [68]faceapi.Point, lmBox image.Rectangle) ([128]float32, error) {
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
