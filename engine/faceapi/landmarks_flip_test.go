package faceapi

import (
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestMirror68 checks the mirror partners against dlib's mean face shape: a point and its
// partner sit at the same height, symmetric about the face's midline (x = 0.490127).
func TestMirror68(t *testing.T) {
	for i, j := range mirror68 {
		if mirror68[j] != i {
			t.Fatalf("mirror68 is not an involution at %d", i)
		}
		if i < 17 {
			continue // the jaw is not in dlib's table
		}
		a, b := dlibMeanShape[i-17], dlibMeanShape[j-17]
		if math.Abs(a[0]+b[0]-2*0.490127) > 0.002 || math.Abs(a[1]-b[1]) > 0.002 {
			t.Errorf("point %d (%v) and its partner %d (%v) are not mirror images", i, a, j, b)
		}
	}
	for _, i := range []int{8, 27, 30, 33, 51, 57, 62, 66} {
		if mirror68[i] != i {
			t.Errorf("midline point %d maps to %d", i, mirror68[i])
		}
	}
}

// lfwPhoto decodes one photo of the shared LFW set (../shared/data/faces seen from the
// repository root), skipping the test when the shared data is absent.
func lfwPhoto(t testing.TB, person string, n int) image.Image {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", "faces", "recognition", "lfw", "images",
		person, fmt.Sprintf("%s_%04d.jpg", person, n))
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("shared face data not available: %v", err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// mirrorImage returns img mirrored left-right, with the same bounds.
func mirrorImage(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Min.X+b.Max.X-1-x, y, img.At(x, y))
		}
	}
	return out
}

// TestLandmarksFlip checks the mirrored pass on real faces: its points, mapped back, agree
// with the plain pass to within the net's jitter (a wrong partner or a wrong mapping moves
// them by several pixels), and the result does not depend on which way round the face is
// given.
func TestLandmarksFlip(t *testing.T) {
	m := testModels(t)
	cases := []struct {
		person string
		n      int
		box    image.Rectangle
	}{
		{"Aaron_Sorkin", 1, image.Rect(69, 74, 69+FaceNetSize, 74+FaceNetSize)}, // no resize
		{"Aaron_Sorkin", 2, image.Rect(60, 60, 190, 200)},                       // resized, not square
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%d", c.person, c.n), func(t *testing.T) {
			img := lfwPhoto(t, c.person, c.n)
			plain, err := m.Landmarks(img, c.box)
			if err != nil {
				t.Fatal(err)
			}
			avg, err := m.LandmarksFlip(img, c.box)
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for i := range avg {
				d := math.Hypot(avg[i].X-plain[i].X, avg[i].Y-plain[i].Y)
				sum += d
				if d > 4 {
					t.Errorf("point %d: flip average %v is %.1f px from the plain pass %v", i, avg[i], d, plain[i])
				}
			}
			if mean := sum / 68; mean > 1.5 || mean == 0 {
				t.Errorf("mean distance between the flip average and the plain pass %.2f px", mean)
			}
			// The mirrored photo gives the mirrored points: exactly (up to rounding) when
			// the crop needs no resize, within a pixel otherwise.
			b := img.Bounds()
			mb := image.Rect(b.Min.X+b.Max.X-c.box.Max.X, c.box.Min.Y, b.Min.X+b.Max.X-c.box.Min.X, c.box.Max.Y)
			mirrored, err := m.LandmarksFlip(mirrorImage(img), mb)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-4
			if c.box.Dx() != FaceNetSize || c.box.Dy() != FaceNetSize {
				tol = 1
			}
			w := float64(c.box.Dx())
			ratio := float64(max(c.box.Dx(), c.box.Dy())) / FaceNetSize
			for i := range avg {
				q := mirrored[mirror68[i]]
				back := Point{float64(c.box.Min.X) + w - ratio - (q.X - float64(mb.Min.X)), q.Y}
				if d := math.Hypot(back.X-avg[i].X, back.Y-avg[i].Y); d > tol {
					t.Errorf("point %d: %v on the photo, %v mapped back from the mirrored photo", i, avg[i], back)
				}
			}
		})
	}
	if _, err := m.LandmarksFlip(image.NewRGBA(image.Rect(0, 0, 10, 10)), image.Rect(20, 20, 30, 30)); !errors.Is(err, errEmpty) {
		t.Errorf("box outside the image: err %v, want the empty-region error", err)
	}
}
