package faceapi

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"runtime/debug"
	"testing"

	"github.com/facegate/facegate/engine/internal/nn"
)

// noiseImages returns the same random picture as RGBA, as 4:2:0 YCbCr and as NRGBA (the
// generic path).
func noiseImages(w, h int) []image.Image {
	r := rand.New(rand.NewPCG(31, 32))
	rgba := image.NewRGBA(image.Rect(3, 5, 3+w, 5+h))
	nrgba := image.NewNRGBA(rgba.Bounds())
	ycc := image.NewYCbCr(rgba.Bounds(), image.YCbCrSubsampleRatio420)
	for y := rgba.Bounds().Min.Y; y < rgba.Bounds().Max.Y; y++ {
		for x := rgba.Bounds().Min.X; x < rgba.Bounds().Max.X; x++ {
			c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
			rgba.SetRGBA(x, y, c)
			nrgba.Set(x, y, c)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)] = cb
			ycc.Cr[ycc.COffset(x, y)] = cr
		}
	}
	return []image.Image{rgba, ycc, nrgba}
}

// TestSampleInputEqualsCrop checks that sampling the net input from the image gives the
// values of converting the crop first, for wide, tall and square regions, down- and
// upsampled, and through imageInput on both sides of its crop bound.
func TestSampleInputEqualsCrop(t *testing.T) {
	imgs := noiseImages(700, 640)
	regions := []image.Rectangle{
		image.Rect(10, 20, 610, 420), image.Rect(50, 9, 351, 640), image.Rect(100, 100, 401, 401),
		image.Rect(3, 5, 703, 645), image.Rect(40, 40, 160, 230), image.Rect(200, 300, 350, 450),
	}
	for i, img := range imgs {
		for _, r := range regions {
			t.Run(fmt.Sprintf("%T %v", img, r), func(t *testing.T) {
				var a1, a2, a3 nn.Arena
				want := netInput(&a1, ToRGB(img, r), FaceNetSize)
				for name, got := range map[string]nn.Tensor{
					"sampleInput": sampleInput(&a2, img, r, FaceNetSize),
					"imageInput":  imageInput(&a3, img, r, FaceNetSize),
				} {
					for j := range want.Data {
						if got.Data[j] != want.Data[j] {
							t.Fatalf("image %d %s: [%d] = %v, crop gives %v", i, name, j, got.Data[j], want.Data[j])
						}
					}
				}
			})
		}
	}
}

// TestLandmarksLargeFaceNoCrop checks that Landmarks on a region far larger than the net's
// input gives the crop path's points and allocates nothing once warm.
func TestLandmarksLargeFaceNoCrop(t *testing.T) {
	m := testModels(t)
	img := noiseImages(900, 900)[1]
	box := image.Rect(50, 60, 850, 880)
	got, err := m.Landmarks(img, box)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.LandmarksRGB(ToRGB(img, box))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].X != want[i].X+float64(box.Min.X) || got[i].Y != want[i].Y+float64(box.Min.Y) {
			t.Fatalf("point %d = %v, crop path %v + %v", i, got[i], want[i], box.Min)
		}
	}
	// Collections empty the arena pool, and the next call then allocates a new arena: keep the
	// collector off while measuring, so the count is the warm call's alone.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if n := testing.AllocsPerRun(3, func() { _, _ = m.Landmarks(img, box) }); n > 0 {
		t.Errorf("%v allocations per warm call on an 800×820 face", n)
	}
}
