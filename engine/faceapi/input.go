package faceapi

import (
	"image"
	"image/color"
	"math"

	"github.com/facegate/facegate/engine/internal/nn"
)

// RGB is a float image in HWC order with values in 0…255: Pix[(y*W+x)*3+c], c = R, G, B.
type RGB struct {
	W, H int
	Pix  []float32
}

// At returns channel c of pixel (x, y).
func (m *RGB) At(x, y, c int) float32 { return m.Pix[(y*m.W+x)*3+c] }

// meanRGB is the per-channel mean every face-api face net subtracts before dividing by 255.
var meanRGB = [3]float32{122.782, 117.001, 104.298}

// ToRGB converts the part of img inside r (clipped to img) into a float RGB image.
func ToRGB(img image.Image, r image.Rectangle) *RGB {
	r = r.Intersect(img.Bounds())
	out := &RGB{W: r.Dx(), H: r.Dy(), Pix: make([]float32, 3*r.Dx()*r.Dy())}
	fillRGB(out, img, r)
	return out
}

func fillRGB(out *RGB, img image.Image, r image.Rectangle) {
	i := 0
	switch m := img.(type) {
	case *image.RGBA:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := 0; x < r.Dx(); x++ {
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = float32(row[4*x]), float32(row[4*x+1]), float32(row[4*x+2])
				i += 3
			}
		}
	case *image.YCbCr:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				yi, ci := m.YOffset(x, y), m.COffset(x, y)
				c := color.YCbCr{Y: m.Y[yi], Cb: m.Cb[ci], Cr: m.Cr[ci]}
				rr, gg, bb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = float32(rr), float32(gg), float32(bb)
				i += 3
			}
		}
	default:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				rr, gg, bb, _ := img.At(x, y).RGBA()
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = float32(rr>>8), float32(gg>>8), float32(bb>>8)
				i += 3
			}
		}
	}
}

// netInput builds face-api's input tensor for a net of side n from a crop: zero padding to
// a centred square (round(d/2) after), legacy bilinear resize (no half-pixel centres, no
// aligned corners) when the side differs from n, then (v − mean)/255 per channel.
func netInput(a *nn.Arena, src *RGB, n int) nn.Tensor {
	out := nn.Tensor{H: n, W: n, C: 3, Data: a.Raw(n * n * 3)}
	l := max(src.W, src.H)
	d := abs(src.W - src.H)
	after := int(math.Floor(float64(d)/2 + 0.5))
	before := d - after
	offX, offY := 0, 0
	if src.W < src.H {
		offX = before
	} else {
		offY = before
	}
	// px returns the padded square's value at (x, y), channel c.
	px := func(x, y, c int) float64 {
		x -= offX
		y -= offY
		if x < 0 || y < 0 || x >= src.W || y >= src.H {
			return 0
		}
		return float64(src.Pix[(y*src.W+x)*3+c])
	}
	ratio := float64(l) / float64(n)
	for oy := 0; oy < n; oy++ {
		fy := ratio * float64(oy)
		y0 := int(math.Floor(fy))
		y1 := min(l-1, int(math.Ceil(fy)))
		wy := fy - float64(y0)
		for ox := 0; ox < n; ox++ {
			fx := ratio * float64(ox)
			x0 := int(math.Floor(fx))
			x1 := min(l-1, int(math.Ceil(fx)))
			wx := fx - float64(x0)
			for c := 0; c < 3; c++ {
				var v float32
				if l == n {
					v = float32(px(ox, oy, c))
				} else {
					tl, tr := px(x0, y0, c), px(x1, y0, c)
					bl, br := px(x0, y1, c), px(x1, y1, c)
					top := tl + (tr-tl)*wx
					bot := bl + (br-bl)*wx
					v = float32(top + (bot-top)*wy)
				}
				out.Data[(oy*n+ox)*3+c] = (v - meanRGB[c]) / 255
			}
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
