package imageio

import (
	"image"
	"image/color"
)

// orientedSize returns the displayed size of a w×h image stored with EXIF orientation o.
func orientedSize(w, h, o int) (int, int) {
	if o >= 5 && o <= 8 {
		return h, w
	}
	return w, h
}

// toOriented maps stored pixel (x, y) of a w×h image to its displayed position.
func toOriented(x, y, w, h, o int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return h - 1 - y, x
	case 7:
		return h - 1 - y, w - 1 - x
	case 8:
		return y, w - 1 - x
	}
	return x, y
}

// fromOriented maps displayed pixel (u, v) back to the stored position in a w×h image.
func fromOriented(u, v, w, h, o int) (int, int) {
	switch o {
	case 2:
		return w - 1 - u, v
	case 3:
		return w - 1 - u, h - 1 - v
	case 4:
		return u, h - 1 - v
	case 5:
		return v, u
	case 6:
		return v, h - 1 - u
	case 7:
		return w - 1 - v, h - 1 - u
	case 8:
		return w - 1 - v, u
	}
	return u, v
}

// orientedImage presents a decoded image as displayed under an EXIF orientation, without
// copying its pixels. Its bounds start at (0, 0).
type orientedImage struct {
	src  image.Image
	o    int
	w, h int // stored size
}

// Orient returns img as displayed under EXIF orientation o (1..8). Orientation 1 (or any
// invalid value) returns img itself; otherwise a view that maps coordinates on access.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	return &orientedImage{src: img, o: o, w: b.Dx(), h: b.Dy()}
}

// ColorModel implements image.Image.
func (m *orientedImage) ColorModel() color.Model { return m.src.ColorModel() }

// Bounds implements image.Image.
func (m *orientedImage) Bounds() image.Rectangle {
	w, h := orientedSize(m.w, m.h, m.o)
	return image.Rect(0, 0, w, h)
}

// At implements image.Image.
func (m *orientedImage) At(u, v int) color.Color {
	if !(image.Point{u, v}.In(m.Bounds())) {
		return color.RGBA{}
	}
	x, y := fromOriented(u, v, m.w, m.h, m.o)
	min := m.src.Bounds().Min
	return m.src.At(min.X+x, min.Y+y)
}
