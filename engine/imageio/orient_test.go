package imageio

import (
	"image"
	"image/color"
	"testing"
)

func TestDecodeEXIFOrientation(t *testing.T) {
	// Stored 40×20 with a white block top-left. Where the block lands once displayed:
	want := map[uint16]image.Point{ // corner of the displayed image holding the block
		1: {0, 0}, 2: {1, 0}, 3: {1, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 1}, 8: {0, 1},
	}
	for o := uint16(1); o <= 8; o++ {
		for _, be := range []bool{false, true} {
			name := map[bool]string{false: "II", true: "MM"}[be]
			t.Run(string(rune('0'+o))+name, func(t *testing.T) {
				data := withOrientation(encode(t, FormatJPEG, gradient(40, 20)), o, be)
				img, err := Decode(data, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				w, h := 40, 20
				if o >= 5 {
					w, h = 20, 40
				}
				if img.Orientation != int(o) || img.Width != w || img.Height != h {
					t.Fatalf("o=%d %dx%d, want o=%d %dx%d", img.Orientation, img.Width, img.Height, o, w, h)
				}
				if b := img.Img.Bounds(); b.Dx() != w || b.Dy() != h {
					t.Fatalf("Img bounds %v", b)
				}
				if img.GrayWidth != w || img.GrayHeight != h {
					t.Fatalf("gray %dx%d", img.GrayWidth, img.GrayHeight)
				}
				c := want[o]
				x, y := 2+c.X*(w-5), 2+c.Y*(h-5) // a pixel inside the displayed block
				if g := img.Gray[y*img.GrayStride+x]; g < 230 {
					t.Fatalf("gray at block (%d,%d) = %d, want white", x, y, g)
				}
				if g := color.GrayModel.Convert(img.Img.At(x, y)).(color.Gray).Y; g < 230 {
					t.Fatalf("Img at block (%d,%d) = %d, want white", x, y, g)
				}
				ox, oy := w-1-x, h-1-y // the opposite corner is dark
				if g := img.Gray[oy*img.GrayStride+ox]; g > 128 {
					t.Fatalf("gray at opposite corner = %d, want dark", g)
				}
			})
		}
	}
}

func TestOrientationMappingsInvert(t *testing.T) {
	const w, h = 5, 3
	for o := 1; o <= 8; o++ {
		ow, oh := orientedSize(w, h, o)
		seen := map[image.Point]bool{}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				u, v := toOriented(x, y, w, h, o)
				if u < 0 || v < 0 || u >= ow || v >= oh || seen[image.Pt(u, v)] {
					t.Fatalf("o=%d (%d,%d) → (%d,%d) out of range or repeated", o, x, y, u, v)
				}
				seen[image.Pt(u, v)] = true
				if bx, by := fromOriented(u, v, w, h, o); bx != x || by != y {
					t.Fatalf("o=%d (%d,%d) → (%d,%d) → (%d,%d)", o, x, y, u, v, bx, by)
				}
			}
		}
	}
}

func TestJPEGOrientationMalformed(t *testing.T) {
	good := withOrientation(encode(t, FormatJPEG, gradient(8, 8)), 6, false)
	cases := []struct {
		name string
		data []byte
		want int
	}{
		{"valid", good, 6},
		{"no exif", encode(t, FormatJPEG, gradient(8, 8)), 1},
		{"truncated inside app1", good[:20], 1},
		{"orientation 9 invalid", withOrientation(encode(t, FormatJPEG, gradient(8, 8)), 9, true), 1},
		{"not jpeg", []byte("GIF89a"), 1},
		{"segment length overflows", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E'}, 1},
		{"bad ifd offset", []byte("\xFF\xD8\xFF\xE1\x00\x16Exif\x00\x00II*\x00\xFF\xFF\xFF\x7F\x00\x00\x00\x00"), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := jpegOrientation(tc.data); got != tc.want {
				t.Fatalf("jpegOrientation = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestWorkingDownscale(t *testing.T) {
	cases := []struct {
		w, h, o    int
		ww, wh     int
		wantScale  float64
		blockWhite image.Point
	}{
		{2048, 1024, 1, 1024, 512, 2, image.Pt(1, 1)},
		{1000, 3000, 1, 341, 1024, 3000.0 / 1024, image.Pt(1, 1)},
		{3000, 1000, 6, 341, 1024, 3000.0 / 1024, image.Pt(339, 1)},
		{1024, 700, 1, 1024, 700, 1, image.Pt(2, 2)},
	}
	for _, tc := range cases {
		t.Run("", func(t *testing.T) {
			m := image.NewGray(image.Rect(0, 0, tc.w, tc.h))
			for y := 0; y < 16; y++ { // 16×16 white block top-left, rest black
				for x := 0; x < 16; x++ {
					m.Pix[y*m.Stride+x] = 255
				}
			}
			wk := NewWorking(m, tc.o)
			if wk.W != tc.ww || wk.H != tc.wh || wk.Scale != tc.wantScale || wk.Stride != max(tc.ww, tc.wh) {
				t.Fatalf("working %dx%d stride %d scale %v; want %dx%d scale %v", wk.W, wk.H, wk.Stride, wk.Scale, tc.ww, tc.wh, tc.wantScale)
			}
			if len(wk.Pix) != wk.Stride*wk.Stride {
				t.Fatalf("len %d", len(wk.Pix))
			}
			if g := wk.Pix[tc.blockWhite.Y*wk.Stride+tc.blockWhite.X]; g < 250 {
				t.Fatalf("block pixel = %d", g)
			}
			if g := wk.Pix[(wk.H-1)*wk.Stride+wk.W/2]; g != 0 {
				t.Fatalf("far pixel = %d", g)
			}
		})
	}
}
