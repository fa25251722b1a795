package nn

import (
	"fmt"
	"math"
)

// ReLU computes max(0, x) in place. It is branch-free (sign-bit mask), since activations
// are negative about half of the time and a branch would mispredict.
func ReLU(x []float32) {
	for i, v := range x {
		b := math.Float32bits(v)
		x[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// Leaky computes x for x > 0 and alpha·x otherwise, in place.
func Leaky(x []float32, alpha float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = v * alpha
		}
	}
}

// Add computes dst += src elementwise; the slices must have equal length.
func Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// MaxPool takes the maximum over k×k windows at the given stride; padded cells are ignored.
func MaxPool(a *Arena, x Tensor, k, stride int, pad Padding) Tensor {
	oh, pt := outSize(x.H, k, stride, pad)
	ow, pl := outSize(x.W, k, stride, pad)
	out := Tensor{H: oh, W: ow, C: x.C, Data: a.Raw(oh * ow * x.C)}
	c := x.C
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			dst := out.Data[(oy*ow+ox)*c : (oy*ow+ox+1)*c]
			for i := range dst {
				dst[i] = float32(math.Inf(-1))
			}
			for ky := 0; ky < k; ky++ {
				iy := oy*stride + ky - pt
				if iy < 0 || iy >= x.H {
					continue
				}
				for kx := 0; kx < k; kx++ {
					ix := ox*stride + kx - pl
					if ix < 0 || ix >= x.W {
						continue
					}
					src := x.Data[(iy*x.W+ix)*c : (iy*x.W+ix+1)*c]
					src = src[:len(dst)]
					for i, v := range src {
						if v > dst[i] {
							dst[i] = v
						}
					}
				}
			}
		}
	}
	return out
}

// AvgPool averages k×k windows at the given stride with valid padding.
func AvgPool(a *Arena, x Tensor, k, stride int) Tensor {
	oh, _ := outSize(x.H, k, stride, Valid)
	ow, _ := outSize(x.W, k, stride, Valid)
	out := a.Tensor(oh, ow, x.C)
	c := x.C
	inv := 1 / float32(k*k)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			dst := out.Data[(oy*ow+ox)*c : (oy*ow+ox+1)*c]
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					iy, ix := oy*stride+ky, ox*stride+kx
					Add(dst, x.Data[(iy*x.W+ix)*c:(iy*x.W+ix+1)*c])
				}
			}
			for i := range dst {
				dst[i] *= inv
			}
		}
	}
	return out
}

// FC computes y = x·W + b for W of shape [in, out]; b may be nil.
func FC(a *Arena, x []float32, w, b *Param) ([]float32, error) {
	if len(w.Shape) != 2 || w.Shape[0] != len(x) {
		return nil, fmt.Errorf("fc: weight shape %v does not fit %d inputs", w.Shape, len(x))
	}
	n := w.Shape[1]
	y := a.Floats(n)
	if b != nil {
		if len(b.Data) != n {
			return nil, fmt.Errorf("fc: bias has %d values, want %d", len(b.Data), n)
		}
		copy(y, b.Data)
	}
	gemmRows(x, w.Data, y, len(x), n, 0, 1)
	return y, nil
}

// Softmax replaces x with exp(x)/Σexp(x), computed stably.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for i, v := range x {
		e := math.Exp(float64(v - m))
		x[i] = float32(e)
		s += e
	}
	for i := range x {
		x[i] = float32(float64(x[i]) / s)
	}
}

// six is the bit pattern of float32 6.
const six = 0x40c00000

// relu6 clips v to [0, 6] without branches: the sign-bit mask zeroes negatives (as in
// ReLU), and for non-negative floats the bit patterns order like the values, so an
// integer compare-by-subtraction selects 6 above it. Clipping branches mispredict about
// as often as ReLU's would, and the builtin min and max (NaN-aware) are slower still.
func relu6(v float32) float32 {
	b := math.Float32bits(v)
	b &^= uint32(int32(b) >> 31)
	m := uint32(int32(six-b) >> 31) // all ones when b > six
	return math.Float32frombits(b ^ ((b ^ six) & m))
}

// ReLU6 clips x to [0, 6] in place (MobileNet's activation), eight floats at a time with
// AVX on amd64.
func ReLU6(x []float32) { clip6(x) }

// clip6Go is the portable ReLU6.
func clip6Go(x []float32) {
	for i, v := range x {
		x[i] = relu6(v)
	}
}
