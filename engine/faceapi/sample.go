package faceapi

import (
	"image"
	"image/color"
	"math"

	"github.com/facegate/facegate/engine/internal/nn"
)

// maxCropFactor bounds the crops converted whole before resizing: a region of more than
// maxCropFactor·n² pixels (a large face in a large photo) is sampled straight from the
// image instead, at most four source pixels per input pixel, so that neither the scratch
// memory nor the work grows with the face's size in pixels.
const maxCropFactor = 4

// imageInput builds the net input of side n for the region r of img (r inside img's
// bounds) with the values netInput(ToRGB(img, r), n) gives, using the arena for scratch.
func imageInput(a *nn.Arena, img image.Image, r image.Rectangle, n int) nn.Tensor {
	w, h := r.Dx(), r.Dy()
	if w*h <= maxCropFactor*n*n {
		crop := RGB{W: w, H: h, Pix: a.Raw(3 * w * h)}
		fillRGB(&crop, img, r)
		return netInput(a, &crop, n)
	}
	return sampleInput(a, img, r, n)
}

// rgbReader returns the RGB value (0…255, as fillRGB converts it) of pixel (x, y) of img.
func rgbReader(img image.Image) func(x, y int) [3]float64 {
	switch m := img.(type) {
	case *image.RGBA:
		return func(x, y int) [3]float64 {
			p := m.Pix[m.PixOffset(x, y):]
			return [3]float64{float64(float32(p[0])), float64(float32(p[1])), float64(float32(p[2]))}
		}
	case *image.YCbCr:
		return func(x, y int) [3]float64 {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			rr, gg, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			return [3]float64{float64(float32(rr)), float64(float32(gg)), float64(float32(bb))}
		}
	}
	return func(x, y int) [3]float64 {
		rr, gg, bb, _ := img.At(x, y).RGBA()
		return [3]float64{float64(float32(rr >> 8)), float64(float32(gg >> 8)), float64(float32(bb >> 8))}
	}
}

// sampleInput is netInput(ToRGB(img, r), n) without the crop: the same padding to a
// centred square, legacy bilinear taps and normalisation, reading each tap from img.
func sampleInput(a *nn.Arena, img image.Image, r image.Rectangle, n int) nn.Tensor {
	out := nn.Tensor{H: n, W: n, C: 3, Data: a.Raw(n * n * 3)}
	w, h := r.Dx(), r.Dy()
	l := max(w, h)
	d := abs(w - h)
	after := int(math.Floor(float64(d)/2 + 0.5))
	before := d - after
	offX, offY := 0, 0
	if w < h {
		offX = before
	} else {
		offY = before
	}
	at := rgbReader(img)
	px := func(x, y int) [3]float64 {
		x -= offX
		y -= offY
		if x < 0 || y < 0 || x >= w || y >= h {
			return [3]float64{}
		}
		return at(r.Min.X+x, r.Min.Y+y)
	}
	ratio := float64(l) / float64(n)
	for oy := 0; oy < n; oy++ {
		fy := ratio * float64(oy)
		y0 := int(math.Floor(fy))
		y1 := min(l-1, int(math.Ceil(fy)))
		wy := fy - float64(y0)
		for ox := 0; ox < n; ox++ {
			dst := out.Data[(oy*n+ox)*3 : (oy*n+ox)*3+3]
			if l == n {
				v := px(ox, oy)
				for c := range 3 {
					dst[c] = (float32(v[c]) - meanRGB[c]) / 255
				}
				continue
			}
			fx := ratio * float64(ox)
			x0 := int(math.Floor(fx))
			x1 := min(l-1, int(math.Ceil(fx)))
			wx := fx - float64(x0)
			tl, tr, bl, br := px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1)
			for c := range 3 {
				top := tl[c] + (tr[c]-tl[c])*wx
				bot := bl[c] + (br[c]-bl[c])*wx
				dst[c] = (float32(top+(bot-top)*wy) - meanRGB[c]) / 255
			}
		}
	}
	return out
}
