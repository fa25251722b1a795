package faceapi

import (
	"image"
	"testing"
)

// TestEnsembleDescriptor checks AggressiveOptions on an LFW photo: the descriptor is the
// mean of the four passes (five-point chip, its mirror, dlib chip, its mirror) summed in
// that order, its sharpness is the five-point chip's as with DefaultOptions, and it is a
// different descriptor than Descriptor's, close to it.
func TestEnsembleDescriptor(t *testing.T) {
	m := testModels(t)
	img := lfwPhoto(t, "Aaron_Sorkin", 2)
	lm, err := m.Landmarks(img, image.Rect(70, 75, 180, 185))
	if err != nil {
		t.Fatal(err)
	}
	var want [128]float32
	for _, al := range []Alignment{AlignSimilarity, AlignDlib} {
		chip, err := Chip(img, lm, al)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*RGB{chip, Mirror(chip)} {
			d, err := m.DescribeChip(c)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i] += d[i]
			}
		}
	}
	for i := range want {
		want[i] /= 4
	}
	got, sharp, err := m.DescriptorSharpnessWith(img, lm, AggressiveOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("AggressiveOptions descriptor is %g from the mean of the four passes", Distance(got, want))
	}
	def, defSharp, err := m.DescriptorSharpness(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	if sharp != defSharp {
		t.Errorf("sharpness %g, want the five-point chip's %g", sharp, defSharp)
	}
	if d := Distance(got, def); d == 0 || d > 0.2 {
		t.Errorf("AggressiveOptions is %g from Descriptor; want a small nonzero distance", d)
	}

	// Bad landmarks fail the same way as with DefaultOptions.
	var bad [68]Point
	if _, err := m.DescriptorWith(img, bad, AggressiveOptions); err == nil {
		t.Error("degenerate landmarks: no error")
	}
}
