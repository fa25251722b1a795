package main

import (
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/engine/faceapi"
)

// TestPartsVariants checks the shared-pass variants on a real LFW photo: default is
// Descriptor bit for bit even when its passes are shared with ens2 and ens4, ens2 is the
// five-point chip's descriptor averaged with the mirrored dlib chip's, and ens4 is the
// mean of Descriptor and the mirror-averaged dlib descriptor.
func TestPartsVariants(t *testing.T) {
	m, img, lm := lfwPhotoLandmarks(t, "Aaron_Sorkin_0001.jpg")
	vs, err := pickVariants("default,ens2,ens4")
	if err != nil {
		t.Fatal(err)
	}
	cache := map[chipPart][128]float32{}
	got := make([][128]float32, len(vs))
	for i, v := range vs {
		if got[i], err = partsDescriptor(m, img, lm, v.parts, cache); err != nil {
			t.Fatal(err)
		}
		alone, err := v.desc(m, img, lm, image.Rectangle{})
		if err != nil {
			t.Fatal(err)
		}
		if alone != got[i] {
			t.Errorf("%s: the shared passes give another descriptor than the variant alone", v.name)
		}
	}
	if len(cache) != 4 {
		t.Errorf("%d distinct passes described, want 4", len(cache))
	}

	want, err := m.Descriptor(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != want {
		t.Errorf("default differs from Descriptor")
	}

	sim, err := m.DescriptorAligned(img, lm, faceapi.AlignSimilarity)
	if err != nil {
		t.Fatal(err)
	}
	chip, err := faceapi.Chip(img, lm, faceapi.AlignDlib)
	if err != nil {
		t.Fatal(err)
	}
	dlibMirror, err := m.DescribeChip(faceapi.Mirror(chip))
	if err != nil {
		t.Fatal(err)
	}
	dlibBoth, err := m.DescriptorWith(img, lm, faceapi.Options{Alignment: faceapi.AlignDlib, Flip: true})
	if err != nil {
		t.Fatal(err)
	}
	var ens2, ens4 [128]float32
	for i := range ens2 {
		ens2[i] = (sim[i] + dlibMirror[i]) / 2
		ens4[i] = (want[i] + dlibBoth[i]) / 2
	}
	if got[1] != ens2 {
		t.Errorf("ens2 differs from (five-point chip + mirrored dlib chip) / 2")
	}
	if d := faceapi.Distance(got[2], ens4); d > 1e-5 {
		t.Errorf("ens4 is %g from (Descriptor + dlib with mirror) / 2", d)
	}
	// The variants are different descriptors of the same face, all close to it.
	for i, v := range vs[1:] {
		d := faceapi.Distance(got[0], got[i+1])
		if d == 0 || d > 0.3 || math.IsNaN(float64(d)) {
			t.Errorf("%s is %g from default; want a small nonzero distance", v.name, d)
		}
	}
}

// TestEns4IsAggressiveOptions checks that the descriptor the pipeline ships for the
// aggressive mode (faceapi.AggressiveOptions) is the bench's ens4 bit for bit on an LFW
// photo.
func TestEns4IsAggressiveOptions(t *testing.T) {
	m, img, lm := lfwPhotoLandmarks(t, "Aaron_Sorkin_0002.jpg")
	bench, err := partsDescriptor(m, img, lm, partsEns4, map[chipPart][128]float32{})
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := m.DescriptorWith(img, lm, faceapi.AggressiveOptions)
	if err != nil {
		t.Fatal(err)
	}
	if shipped != bench {
		t.Fatalf("faceapi.AggressiveOptions is %g from the bench's ens4", faceapi.Distance(shipped, bench))
	}
}

// lfwPhotoLandmarks loads the models, one of Aaron Sorkin's LFW photos (skipping the test
// without the shared data) and the landmarks of its centre face.
func lfwPhotoLandmarks(t *testing.T, name string) (*faceapi.Models, image.Image, [68]faceapi.Point) {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", "faces", "recognition", "lfw", "images", "Aaron_Sorkin", name)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("shared face data not available: %v", err)
	}
	img, err := jpeg.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	m, err := faceapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	lm, err := m.Landmarks(img, lfwCentreBox)
	if err != nil {
		t.Fatal(err)
	}
	return m, img, lm
}
