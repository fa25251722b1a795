package imageio

import (
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, must fail with one of
// the three sentinel errors, and on success return a consistent image.
// Seed corpus: testdata/fuzz/FuzzDecode. Short run: go test -fuzz=FuzzDecode -fuzztime=30s ./engine/imageio
func FuzzDecode(f *testing.F) {
	for _, format := range []string{FormatJPEG, FormatPNG, FormatGIF, FormatBMP, FormatWebP} {
		f.Add(encode(&testing.T{}, format, gradient(9, 7)))
	}
	f.Add(withOrientation(encode(&testing.T{}, FormatJPEG, gradient(9, 7)), 6, true))
	f.Add(pngHeader(40000, 1000))
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, lim)
		if err != nil {
			if img != nil {
				t.Fatal("image with error")
			}
			if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if img.Width <= 0 || img.Height <= 0 || int64(img.Width)*int64(img.Height) > lim.MaxPixels {
			t.Fatalf("bad size %dx%d", img.Width, img.Height)
		}
		if b := img.Img.Bounds(); b.Dx() != img.Width || b.Dy() != img.Height {
			t.Fatalf("Img bounds %v vs %dx%d", b, img.Width, img.Height)
		}
		if len(img.Gray) != img.GrayStride*img.GrayStride || img.GrayWidth > img.GrayStride || img.GrayHeight > img.GrayStride {
			t.Fatalf("gray %dx%d stride %d len %d", img.GrayWidth, img.GrayHeight, img.GrayStride, len(img.Gray))
		}
	})
}

// FuzzJPEGOrientation checks that the EXIF parser never panics and returns 1..8.
func FuzzJPEGOrientation(f *testing.F) {
	f.Add(withOrientation([]byte{0xFF, 0xD8, 0xFF, 0xD9}, 6, false))
	f.Add(withOrientation([]byte{0xFF, 0xD8, 0xFF, 0xD9}, 8, true))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
