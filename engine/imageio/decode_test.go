package imageio

import (
	"errors"
	"image/color"
	"strings"
	"testing"
)

func TestDecodeFormats(t *testing.T) {
	for _, format := range []string{FormatJPEG, FormatPNG, FormatGIF, FormatBMP, FormatWebP} {
		t.Run(format, func(t *testing.T) {
			data := encode(t, format, gradient(48, 32))
			img, err := Decode(data, Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if img.Format != format || img.Width != 48 || img.Height != 32 || img.Orientation != 1 {
				t.Fatalf("got format %q %dx%d o=%d, want %q 48x32 o=1", img.Format, img.Width, img.Height, img.Orientation, format)
			}
			if img.GrayWidth != 48 || img.GrayHeight != 32 || img.Scale != 1 || len(img.Gray) != 48*48 {
				t.Fatalf("gray %dx%d stride %d scale %v len %d", img.GrayWidth, img.GrayHeight, img.GrayStride, img.Scale, len(img.Gray))
			}
			if format == FormatWebP { // solid (200,100,50): BT.601 luma 124
				if g := img.Gray[10*img.GrayStride+20]; g < 123 || g > 125 {
					t.Fatalf("webp gray = %d, want ≈124", g)
				}
				if c := color.RGBAModel.Convert(img.Img.At(5, 5)).(color.RGBA); c.R != 200 || c.G != 100 || c.B != 50 {
					t.Fatalf("webp pixel = %v", c)
				}
				return
			}
			// The white 8×8 block sits top-left; the gradient elsewhere is dark.
			if g := img.Gray[2*img.GrayStride+2]; g < 240 {
				t.Fatalf("top-left gray = %d, want white", g)
			}
			if g := img.Gray[20*img.GrayStride+30]; g > 80 {
				t.Fatalf("gray at (30,20) = %d, want dark", g)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	jpg := encode(t, FormatJPEG, gradient(16, 16))
	cases := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"bomb png 40000x1000", pngHeader(40000, 1000), Limits{}, ErrTooLarge},
		{"png above custom pixel cap", pngHeader(200, 200), Limits{MaxPixels: 100 * 100}, ErrTooLarge},
		{"bytes above cap", jpg, Limits{MaxBytes: int64(len(jpg) - 1)}, ErrTooLarge},
		{"jpeg 2000 codestream", []byte{0xFF, 0x4F, 0xFF, 0x51, 0, 0x2F, 0, 0}, Limits{}, ErrUnsupported},
		{"jpeg 2000 jp2 box", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 "), Limits{}, ErrUnsupported},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), Limits{}, ErrUnsupported},
		{"text", []byte("hello, world"), Limits{}, ErrUnsupported},
		{"empty", nil, Limits{}, ErrCorrupt},
		{"truncated jpeg", jpg[:len(jpg)/2], Limits{}, ErrCorrupt},
		{"png header only 0x0", pngHeader(0, 0), Limits{}, ErrCorrupt},
		{"png claims 10x10 with no pixel data", pngHeader(10, 10), Limits{}, ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.data, tc.lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %v, %v; want %v", img, err, tc.want)
			}
			if img != nil {
				t.Fatal("non-nil image with error")
			}
		})
	}
}

func TestDecodeErrorHasNoImageBytes(t *testing.T) {
	secret := "SECRETPAYLOAD-0123456789"
	data := append(pngHeader(10, 10)[:33], []byte(secret)...)
	_, err := Decode(data, Limits{})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
}
