package imageio

import (
	"image"
	"image/color"
	"math"
)

// WorkingSide is the longest side, in pixels, of the grayscale image detection runs on.
// Larger images are box-filtered down to it (SkyBiometry processes at most 1024 px).
const WorkingSide = 1024

// Working describes the working-resolution grayscale of an image.
//
// Pix holds Stride×Stride bytes (a square buffer): the oriented image occupies the
// top-left W×H pixels, row r at Pix[r*Stride:], and the rest is zero. The square padding
// lets rotated cascades sample outside the image without leaving the buffer.
type Working struct {
	Pix    []uint8
	W, H   int
	Stride int
	// Scale is the number of original pixels per working pixel (≥ 1).
	Scale float64
}

// workingSize returns the working size for an original w×h image.
func workingSize(w, h int) (int, int, float64) {
	long := max(w, h)
	if long <= WorkingSide {
		return w, h, 1
	}
	s := float64(long) / WorkingSide
	ww := max(1, int(math.Round(float64(w)/s)))
	wh := max(1, int(math.Round(float64(h)/s)))
	return ww, wh, s
}

// NewWorking computes the working grayscale of img displayed under EXIF orientation o.
// It allocates the grayscale buffer plus O(working width) scratch, never a copy of img.
func NewWorking(img image.Image, o int) Working {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if o < 1 || o > 8 {
		o = 1
	}
	ow, oh := orientedSize(sw, sh, o)
	ww, wh, scale := workingSize(ow, oh)
	// Working size in stored orientation.
	tw, th := ww, wh
	if o >= 5 {
		tw, th = wh, ww
	}
	stride := max(ww, wh)
	wk := Working{Pix: make([]uint8, stride*stride), W: ww, H: wh, Stride: stride, Scale: scale}
	if sw == 0 || sh == 0 {
		return wk
	}
	// xs[i]..xs[i+1] is the stored column range averaged into working column i.
	xs := make([]int, tw+1)
	for i := range xs {
		xs[i] = i * sw / tw
	}
	acc := make([]uint64, tw)
	lum := lumaRower(img)
	for ty := 0; ty < th; ty++ {
		y0, y1 := ty*sh/th, (ty+1)*sh/th
		clear(acc)
		for y := y0; y < y1; y++ {
			lum(y, xs, acc)
		}
		rows := uint64(y1 - y0)
		for tx := 0; tx < tw; tx++ {
			n := rows * uint64(xs[tx+1]-xs[tx])
			u, v := toOriented(tx, ty, tw, th, o)
			wk.Pix[v*stride+u] = uint8((acc[tx] + n/2) / n)
		}
	}
	return wk
}

// lumaRower returns a function that adds the luma of stored row y, summed over each
// column range xs[i]..xs[i+1], to acc[i]. Coordinates are relative to the bounds' minimum.
// Common decoder outputs get direct loops.
func lumaRower(img image.Image) func(y int, xs []int, acc []uint64) {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y int, xs []int, acc []uint64) {
			row := m.Y[y*m.YStride:]
			for i := range acc {
				var s uint64
				for x := xs[i]; x < xs[i+1]; x++ {
					s += uint64(row[x])
				}
				acc[i] += s
			}
		}
	case *image.Gray:
		return func(y int, xs []int, acc []uint64) {
			row := m.Pix[y*m.Stride:]
			for i := range acc {
				var s uint64
				for x := xs[i]; x < xs[i+1]; x++ {
					s += uint64(row[x])
				}
				acc[i] += s
			}
		}
	case *image.RGBA:
		return rgbRower(m.Pix, m.Stride)
	case *image.NRGBA:
		return rgbRower(m.Pix, m.Stride)
	case *image.Paletted:
		var lut [256]uint64
		for i, c := range m.Palette {
			lut[i] = uint64(luma(c))
		}
		return func(y int, xs []int, acc []uint64) {
			row := m.Pix[y*m.Stride:]
			for i := range acc {
				var s uint64
				for x := xs[i]; x < xs[i+1]; x++ {
					s += lut[row[x]]
				}
				acc[i] += s
			}
		}
	}
	min := img.Bounds().Min
	return func(y int, xs []int, acc []uint64) {
		for i := range acc {
			var s uint64
			for x := xs[i]; x < xs[i+1]; x++ {
				s += uint64(luma(img.At(min.X+x, min.Y+y)))
			}
			acc[i] += s
		}
	}
}

// rgbRower sums luma over 4-byte-per-pixel RGB(A) rows (alpha ignored).
func rgbRower(pix []uint8, stride int) func(y int, xs []int, acc []uint64) {
	return func(y int, xs []int, acc []uint64) {
		row := pix[y*stride:]
		for i := range acc {
			var s uint64
			for x := xs[i]; x < xs[i+1]; x++ {
				p := row[4*x : 4*x+3 : 4*x+3]
				s += uint64((299*uint32(p[0]) + 587*uint32(p[1]) + 114*uint32(p[2]) + 500) / 1000)
			}
			acc[i] += s
		}
	}
}

// luma returns the ITU-R BT.601 luma (0..255) of c.
func luma(c color.Color) uint8 {
	r, g, b, _ := c.RGBA()
	return uint8((299*r + 587*g + 114*b + 500*257) / (1000 * 257))
}
