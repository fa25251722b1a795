package faceapi

import (
	"image"
	"math"
	"testing"
)

func TestDescriptorsBatch(t *testing.T) {
	m := testModels(t)
	c := loadGolden(t)[0]
	src := goldenInput(t, c)
	img := image.NewRGBA(image.Rect(0, 0, src.W, src.H))
	for i := 0; i < src.W*src.H; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = uint8(src.Pix[3*i]), uint8(src.Pix[3*i+1]), uint8(src.Pix[3*i+2]), 255
	}
	lm, _ := synthLandmarks(0.1, 0.9, 10, 5)
	var bad [68]Point
	bad[0].X = math.Inf(1)
	cases := []struct {
		name    string
		faces   []Face
		wantErr bool
	}{
		{"empty", nil, false},
		{"three", []Face{{img, lm}, {img, lm}, {img, lm}}, false},
		{"one bad", []Face{{img, lm}, {img, bad}}, true},
	}
	want, err := m.Descriptor(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Descriptors(tc.faces)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if len(got) != len(tc.faces) {
				t.Fatalf("%d results for %d faces", len(got), len(tc.faces))
			}
			if !tc.wantErr && len(got) > 0 && got[len(got)-1] != want {
				t.Error("batch descriptor differs from Descriptor")
			}
		})
	}
}

func TestMirrorAndFlipOption(t *testing.T) {
	m := testModels(t)
	src := goldenInput(t, loadGolden(t)[1])
	mm := Mirror(Mirror(src))
	for i := range src.Pix {
		if mm.Pix[i] != src.Pix[i] {
			t.Fatal("Mirror twice is not the identity")
		}
	}
	if Mirror(src).At(0, 5, 1) != src.At(src.W-1, 5, 1) {
		t.Error("Mirror does not swap columns")
	}
	img := image.NewRGBA(image.Rect(0, 0, 300, 300))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 251)
	}
	lm, _ := synthLandmarks(0.2, 1.1, 30, 40)
	chip, err := Chip(img, lm, AlignSimilarity)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.DescribeChip(chip)
	b, _ := m.DescribeChip(Mirror(chip))
	got, err := m.Descriptor(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - (a[i]+b[i])/2)); d > 1e-6 {
			t.Fatalf("Descriptor[%d] = %v, want mean of chip and mirror %v", i, got[i], (a[i]+b[i])/2)
		}
	}
	plain, _ := m.DescriptorAligned(img, lm, AlignSimilarity)
	if plain != a {
		t.Error("DescriptorAligned should not mirror-average")
	}
}
