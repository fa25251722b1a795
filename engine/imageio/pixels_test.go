package imageio

import (
	"errors"
	"testing"
)

func TestPixels(t *testing.T) {
	for _, format := range []string{FormatJPEG, FormatPNG, FormatGIF, FormatBMP} {
		data := encode(t, format, gradient(48, 32))
		if px, err := Pixels(data); err != nil || px != 48*32 {
			t.Errorf("%s: Pixels = %d, %v; want %d", format, px, err, 48*32)
		}
	}
	if _, err := Pixels([]byte("not an image")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("text: %v, want ErrUnsupported", err)
	}
	png := encode(t, FormatPNG, gradient(48, 32))
	if _, err := Pixels(png[:20]); err == nil {
		t.Error("a truncated header was accepted")
	}
}
