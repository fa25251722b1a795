package ssd

import (
	"image"
	"image/color"
	"math"

	"github.com/facegate/facegate/engine/internal/nn"
)

// DefaultInputSize is the side of the network input the detector was trained at;
// MaxInputSize is the largest side Detect accepts and MinInputSize the smallest.
const (
	DefaultInputSize = 512
	MaxInputSize     = 512
	MinInputSize     = 128
)

// pixelReader returns the RGB value (0…255) of pixel (x, y) of img, with fast paths for
// the decoder's usual image types. Values equal those of faceapi.ToRGB.
func pixelReader(img image.Image) func(x, y int) (r, g, b float32) {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) (float32, float32, float32) {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			return float32(r), float32(g), float32(b)
		}
	case *image.RGBA:
		return func(x, y int) (float32, float32, float32) {
			i := m.PixOffset(x, y)
			return float32(m.Pix[i]), float32(m.Pix[i+1]), float32(m.Pix[i+2])
		}
	case *image.Gray:
		return func(x, y int) (float32, float32, float32) {
			v := float32(m.Pix[m.PixOffset(x, y)])
			return v, v, v
		}
	}
	return func(x, y int) (float32, float32, float32) {
		r, g, b, _ := img.At(x, y).RGBA()
		return float32(r >> 8), float32(g >> 8), float32(b >> 8)
	}
}

// fillInput builds face-api's SSD input from the part r of img (r lies inside img's
// bounds): zero padding at the bottom or right to a square of side L = max(w, h), legacy
// bilinear resize of that square to n (source coordinate = dst·L/n, no half-pixel
// centres), then v/127.5 − 1. Only n² output pixels are computed, from at most four source
// pixels each, so the cost does not grow with the image.
func fillInput(dst []float32, img image.Image, r image.Rectangle, n int) nn.Tensor {
	w, h := r.Dx(), r.Dy()
	l := max(w, h)
	at := pixelReader(img)
	px := func(x, y int) (float64, float64, float64) {
		if x >= w || y >= h {
			return 0, 0, 0
		}
		r0, g0, b0 := at(r.Min.X+x, r.Min.Y+y)
		return float64(r0), float64(g0), float64(b0)
	}
	ratio := float64(l) / float64(n)
	type tap struct {
		lo, hi int
		f      float64
	}
	cols := make([]tap, n)
	for i := range cols {
		s := ratio * float64(i)
		lo := int(math.Floor(s))
		cols[i] = tap{lo, min(l-1, int(math.Ceil(s))), s - float64(lo)}
	}
	for oy := 0; oy < n; oy++ {
		ry := cols[oy]
		row := dst[oy*n*3 : (oy+1)*n*3]
		for ox, cx := range cols {
			var v [3]float64
			if l == n {
				v[0], v[1], v[2] = px(ox, oy)
			} else {
				var q [4][3]float64
				q[0][0], q[0][1], q[0][2] = px(cx.lo, ry.lo)
				q[1][0], q[1][1], q[1][2] = px(cx.hi, ry.lo)
				q[2][0], q[2][1], q[2][2] = px(cx.lo, ry.hi)
				q[3][0], q[3][1], q[3][2] = px(cx.hi, ry.hi)
				for c := range 3 {
					top := q[0][c] + (q[1][c]-q[0][c])*cx.f
					bot := q[2][c] + (q[3][c]-q[2][c])*cx.f
					v[c] = top + (bot-top)*ry.f
				}
			}
			for c := range 3 {
				row[ox*3+c] = float32(v[c])/127.5 - 1
			}
		}
	}
	return nn.Tensor{H: n, W: n, C: 3, Data: dst[:n*n*3]}
}
