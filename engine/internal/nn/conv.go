package nn

import "fmt"

// Padding selects TensorFlow's padding rule for convolutions and pools.
type Padding int

const (
	// Valid uses no padding: out = floor((in-k)/s) + 1.
	Valid Padding = iota
	// Same pads so that out = ceil(in/s); the odd pixel of padding goes bottom/right.
	Same
)

// outSize returns the output length and the padding before the first input for one axis.
func outSize(in, k, s int, p Padding) (out, before int) {
	if p == Valid {
		if in < k {
			return 0, 0
		}
		return (in-k)/s + 1, 0
	}
	out = (in + s - 1) / s
	total := max((out-1)*s+k-in, 0)
	return out, total / 2
}

// Conv2D convolves x with filter f of shape [kh, kw, cin, cout] at the given stride and
// padding (zeros), adds bias (length cout, or nil) and returns the result from arena a.
// The convolution lowers to im2col + GEMM; 1×1 stride-1 filters skip the im2col copy.
func Conv2D(a *Arena, x Tensor, f *Param, bias *Param, stride int, pad Padding) (Tensor, error) {
	return conv2D(a, x, f, bias, stride, pad, nil)
}

// Conv2DReLU6 is Conv2D followed by ReLU6. The activation runs on blocks of output rows
// right after the GEMM has written them, while they are still in cache.
func Conv2DReLU6(a *Arena, x Tensor, f *Param, bias *Param, stride int, pad Padding) (Tensor, error) {
	return conv2D(a, x, f, bias, stride, pad, ReLU6)
}

func conv2D(a *Arena, x Tensor, f *Param, bias *Param, stride int, pad Padding, act func([]float32)) (Tensor, error) {
	if len(f.Shape) != 4 || f.Shape[2] != x.C {
		return Tensor{}, fmt.Errorf("conv2d: filter shape %v does not fit %d input channels", f.Shape, x.C)
	}
	kh, kw, cin, cout := f.Shape[0], f.Shape[1], f.Shape[2], f.Shape[3]
	if bias != nil && len(bias.Data) != cout {
		return Tensor{}, fmt.Errorf("conv2d: bias has %d values, want %d", len(bias.Data), cout)
	}
	oh, pt := outSize(x.H, kh, stride, pad)
	ow, pl := outSize(x.W, kw, stride, pad)
	if oh <= 0 || ow <= 0 {
		return Tensor{}, fmt.Errorf("conv2d: %dx%d input too small for %dx%d filter", x.H, x.W, kh, kw)
	}
	out := Tensor{H: oh, W: ow, C: cout, Data: a.Raw(oh * ow * cout)}
	if bias != nil {
		for p := 0; p < oh*ow; p++ {
			copy(out.Data[p*cout:(p+1)*cout], bias.Data)
		}
	} else {
		clear(out.Data)
	}
	m, k := oh*ow, kh*kw*cin
	var cols []float32
	if kh == 1 && kw == 1 && stride == 1 {
		cols = x.Data
	} else {
		cols = a.Scratch(m * k)
		im2col(cols, x, kh, kw, stride, pt, pl, oh, ow)
	}
	if act == nil {
		Gemm(cols, f.Data, out.Data, m, k, cout)
		return out, nil
	}
	// Blocks of about 64 K output floats (256 KB), a multiple of the 6-row micro-kernel.
	rows := max(6, (1<<16)/cout/6*6)
	for r0 := 0; r0 < m; r0 += rows {
		r1 := min(m, r0+rows)
		Gemm(cols[r0*k:r1*k], f.Data, out.Data[r0*cout:r1*cout], r1-r0, k, cout)
		act(out.Data[r0*cout : r1*cout])
	}
	return out, nil
}

// im2col writes, for every output pixel, the kh×kw×cin input patch (zeros outside x).
func im2col(cols []float32, x Tensor, kh, kw, s, pt, pl, oh, ow int) {
	c := x.C
	row := 0
	k := kh * kw * c
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			dst := cols[row*k : row*k+k]
			row++
			i := 0
			for ky := 0; ky < kh; ky++ {
				iy := oy*s + ky - pt
				if iy < 0 || iy >= x.H {
					clear(dst[i : i+kw*c])
					i += kw * c
					continue
				}
				ix0 := ox*s - pl
				if ix0 >= 0 && ix0+kw <= x.W {
					// The whole filter row is inside: one contiguous copy.
					src := (iy*x.W + ix0) * c
					copy(dst[i:i+kw*c], x.Data[src:src+kw*c])
					i += kw * c
					continue
				}
				for kx := 0; kx < kw; kx++ {
					ix := ix0 + kx
					if ix < 0 || ix >= x.W {
						clear(dst[i : i+c])
					} else {
						src := (iy*x.W + ix) * c
						copy(dst[i:i+c], x.Data[src:src+c])
					}
					i += c
				}
			}
		}
	}
}

// Depthwise applies a 3-D depthwise filter f of shape [kh, kw, C, 1] at the given stride and
// padding (no bias).
func Depthwise(a *Arena, x Tensor, f *Param, stride int, pad Padding) (Tensor, error) {
	return depthwise(a, x, f, stride, pad, nil, nil)
}

// DepthwiseAffineReLU6 is Depthwise followed by clip(y·scale[c] + shift[c], 0, 6) per
// channel (a batch norm folded into scale and shift, then ReLU6), applied to each output
// pixel while it is still in cache.
func DepthwiseAffineReLU6(a *Arena, x Tensor, f *Param, stride int, pad Padding, scale, shift []float32) (Tensor, error) {
	if len(scale) != x.C || len(shift) != x.C {
		return Tensor{}, fmt.Errorf("depthwise: %d scales and %d shifts for %d channels", len(scale), len(shift), x.C)
	}
	return depthwise(a, x, f, stride, pad, scale, shift)
}

func depthwise(a *Arena, x Tensor, f *Param, stride int, pad Padding, scale, shift []float32) (Tensor, error) {
	if len(f.Shape) != 4 || f.Shape[2] != x.C || f.Shape[3] != 1 {
		return Tensor{}, fmt.Errorf("depthwise: filter shape %v does not fit %d channels", f.Shape, x.C)
	}
	kh, kw, c := f.Shape[0], f.Shape[1], x.C
	oh, pt := outSize(x.H, kh, stride, pad)
	ow, pl := outSize(x.W, kw, stride, pad)
	if oh <= 0 || ow <= 0 {
		return Tensor{}, fmt.Errorf("depthwise: %dx%d input too small", x.H, x.W)
	}
	out := Tensor{H: oh, W: ow, C: c, Data: a.Raw(oh * ow * c)}
	// Interior columns [lo, hi): the whole 3-wide window lies inside the input.
	lo, hi := (pl+stride-1)/stride, 0
	if x.W-kw+pl >= 0 {
		hi = min(ow, (x.W-kw+pl)/stride+1)
	}
	hi = max(hi, lo)
	for oy := 0; oy < oh; oy++ {
		iy0 := oy*stride - pt
		for ox := 0; ox < ow; ox++ {
			if ox == lo && hi > lo && scale != nil && kh == 3 && kw == 3 && iy0 >= 0 && iy0+3 <= x.H {
				// The row's interior in one call, affine and ReLU6 included.
				if dwRow(out.Data[(oy*ow+lo)*c:(oy*ow+hi)*c], x.Data[(iy0*x.W+lo*stride-pl)*c:], x.W, c, hi-lo, stride, f.Data, scale, shift) {
					ox = hi - 1
					continue
				}
			}
			dst := out.Data[(oy*ow+ox)*c : (oy*ow+ox+1)*c]
			clear(dst)
			ix0 := ox*stride - pl
			if kh == 3 && kw == 3 && iy0 >= 0 && iy0+3 <= x.H && ix0 >= 0 && ix0+3 <= x.W {
				row := func(iy int) []float32 { return x.Data[(iy*x.W+ix0)*c : (iy*x.W+ix0+3)*c] }
				if dw3x3(dst, row(iy0), row(iy0+1), row(iy0+2), f.Data) {
					epilogue(dst, scale, shift)
					continue
				}
			}
			for ky := 0; ky < kh; ky++ {
				iy := oy*stride + ky - pt
				if iy < 0 || iy >= x.H {
					continue
				}
				if kw == 3 && ix0 >= 0 && ix0+3 <= x.W {
					// Interior of a 3-wide filter: three taps per pass over dst.
					src := x.Data[(iy*x.W+ix0)*c : (iy*x.W+ix0+3)*c]
					w := f.Data[ky*3*c : (ky+1)*3*c]
					s0, s1, s2 := src[:len(dst)], src[c:c+len(dst)], src[2*c:2*c+len(dst)]
					w0, w1, w2 := w[:len(dst)], w[c:c+len(dst)], w[2*c:2*c+len(dst)]
					for i := range dst {
						dst[i] += s0[i]*w0[i] + s1[i]*w1[i] + s2[i]*w2[i]
					}
					continue
				}
				for kx := 0; kx < kw; kx++ {
					ix := ix0 + kx
					if ix < 0 || ix >= x.W {
						continue
					}
					src := x.Data[(iy*x.W+ix)*c : (iy*x.W+ix+1)*c]
					w := f.Data[(ky*kw+kx)*c : (ky*kw+kx+1)*c]
					src = src[:len(dst)]
					w = w[:len(dst)]
					for i := range dst {
						dst[i] += src[i] * w[i]
					}
				}
			}
			epilogue(dst, scale, shift)
		}
	}
	return out, nil
}

// epilogue applies clip(v·scale + shift, 0, 6) to one output pixel when scale is set.
func epilogue(dst, scale, shift []float32) {
	if scale == nil {
		return
	}
	sc, sh := scale[:len(dst)], shift[:len(dst)]
	for i := range dst {
		dst[i] = dst[i]*sc[i] + sh[i]
	}
	clip6(dst)
}

// Separable runs a depthwise 3×3 (or any size) filter then a pointwise 1×1 conv with bias.
func Separable(a *Arena, x Tensor, dw, pw, bias *Param, stride int) (Tensor, error) {
	d, err := Depthwise(a, x, dw, stride, Same)
	if err != nil {
		return Tensor{}, err
	}
	return Conv2D(a, d, pw, bias, 1, Same)
}
