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
