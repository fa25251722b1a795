package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is a direct float64 convolution with explicit TF padding.
func naiveConv(x Tensor, f *Param, bias []float32, s int, pad Padding, depthwise bool) (Tensor, []float64) {
	kh, kw := f.Shape[0], f.Shape[1]
	cout := f.Shape[3]
	if depthwise {
		cout = x.C
	}
	oh, pt := outSize(x.H, kh, s, pad)
	ow, pl := outSize(x.W, kw, s, pad)
	out := make([]float64, oh*ow*cout)
	for oy := range oh {
		for ox := range ow {
			for co := range cout {
				var acc float64
				if bias != nil {
					acc = float64(bias[co])
				}
				for ky := range kh {
					for kx := range kw {
						iy, ix := oy*s+ky-pt, ox*s+kx-pl
						if iy < 0 || ix < 0 || iy >= x.H || ix >= x.W {
							continue
						}
						if depthwise {
							acc += float64(x.At(iy, ix, co)) * float64(f.Data[(ky*kw+kx)*x.C+co])
							continue
						}
						for ci := range x.C {
							acc += float64(x.At(iy, ix, ci)) * float64(f.Data[((ky*kw+kx)*x.C+ci)*cout+co])
						}
					}
				}
				out[(oy*ow+ox)*cout+co] = acc
			}
		}
	}
	return Tensor{H: oh, W: ow, C: cout}, out
}

func randTensor(r *rand.Rand, h, w, c int) Tensor {
	return Tensor{H: h, W: w, C: c, Data: randSlice(r, h*w*c, 0.2)}
}

func closeTo(t *testing.T, got Tensor, wantShape Tensor, want []float64) {
	t.Helper()
	if got.H != wantShape.H || got.W != wantShape.W || got.C != wantShape.C {
		t.Fatalf("shape %dx%dx%d, want %dx%dx%d", got.H, got.W, got.C, wantShape.H, wantShape.W, wantShape.C)
	}
	for i, w := range want {
		if d := math.Abs(float64(got.Data[i]) - w); d > 1e-4*(1+math.Abs(w)) {
			t.Fatalf("[%d] = %v, want %v", i, got.Data[i], w)
		}
	}
}

func TestConv2D(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name                  string
		h, w, k, cin, cout, s int
		pad                   Padding
	}{
		{"3x3 same s1", 9, 7, 3, 4, 16, 1, Same},
		{"3x3 same s2 even", 8, 8, 3, 3, 32, 2, Same},
		{"3x3 same s2 odd", 7, 9, 3, 5, 17, 2, Same},
		{"3x3 valid s2", 35, 35, 3, 8, 16, 2, Valid},
		{"7x7 valid s2", 20, 20, 7, 3, 32, 2, Valid},
		{"1x1 s1", 5, 6, 1, 8, 16, 1, Same},
		{"1x1 s2", 6, 6, 1, 8, 16, 2, Same},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a Arena
			x := randTensor(r, c.h, c.w, c.cin)
			f := &Param{Shape: []int{c.k, c.k, c.cin, c.cout}, Data: randSlice(r, c.k*c.k*c.cin*c.cout, 0)}
			b := &Param{Shape: []int{c.cout}, Data: randSlice(r, c.cout, 0)}
			got, err := Conv2D(&a, x, f, b, c.s, c.pad)
			if err != nil {
				t.Fatal(err)
			}
			shape, want := naiveConv(x, f, b.Data, c.s, c.pad, false)
			closeTo(t, got, shape, want)
		})
	}
}

func TestDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, simd := range []bool{false, true} {
		for _, c := range []int{6, 16} { // 16 channels take the AVX path inside the image
			for _, s := range []int{1, 2} {
				was := SetSIMD(simd)
				var a Arena
				x := randTensor(r, 8, 7, c)
				f := &Param{Shape: []int{3, 3, c, 1}, Data: randSlice(r, 9*c, 0)}
				got, err := Depthwise(&a, x, f, s, Same)
				SetSIMD(was)
				if err != nil {
					t.Fatal(err)
				}
				shape, want := naiveConv(x, f, nil, s, Same, true)
				closeTo(t, got, shape, want)
			}
		}
	}
}

func TestConvRejectsBadShapes(t *testing.T) {
	var a Arena
	x := Tensor{H: 4, W: 4, C: 3, Data: make([]float32, 48)}
	cases := []struct {
		name string
		f    *Param
		b    *Param
	}{
		{"channel mismatch", &Param{Shape: []int{3, 3, 4, 8}, Data: make([]float32, 288)}, nil},
		{"bias length", &Param{Shape: []int{3, 3, 3, 8}, Data: make([]float32, 216)}, &Param{Shape: []int{7}, Data: make([]float32, 7)}},
		{"too small for valid", &Param{Shape: []int{5, 5, 3, 8}, Data: make([]float32, 600)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Conv2D(&a, x, c.f, c.b, 1, Valid); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPools(t *testing.T) {
	var a Arena
	// 4×4 single channel 0..15, plus a negative channel to check −∞ padding of max pool.
	x := Tensor{H: 4, W: 4, C: 2, Data: make([]float32, 32)}
	for i := range 16 {
		x.Data[2*i] = float32(i)
		x.Data[2*i+1] = -float32(i) - 1
	}
	avg := AvgPool(&a, x, 2, 2)
	if avg.H != 2 || avg.W != 2 || avg.At(0, 0, 0) != 2.5 || avg.At(1, 1, 0) != 12.5 {
		t.Errorf("avg pool = %v", avg.Data)
	}
	mx := MaxPool(&a, x, 3, 2, Same) // out 2×2, padding only bottom/right
	if mx.H != 2 || mx.At(0, 0, 0) != 10 || mx.At(1, 1, 0) != 15 {
		t.Errorf("max pool = %v", mx.Data)
	}
	if mx.At(1, 1, 1) != -11 { // window rows 2..3, cols 2..3; the padded cells must not win
		t.Errorf("max pool over padding = %v, want -11", mx.At(1, 1, 1))
	}
	mv := MaxPool(&a, x, 3, 2, Valid)
	if mv.H != 1 || mv.At(0, 0, 0) != 10 {
		t.Errorf("valid max pool = %v", mv.Data)
	}
}

func TestOps(t *testing.T) {
	x := []float32{-2, -0.5, 0, 3}
	ReLU(x)
	if x[0] != 0 || x[1] != 0 || x[3] != 3 {
		t.Errorf("relu = %v", x)
	}
	y := []float32{-2, 4}
	Leaky(y, 0.1)
	if y[0] != -0.2 || y[1] != 4 {
		t.Errorf("leaky = %v", y)
	}
	s := []float32{1, 2, 3}
	Softmax(s)
	if math.Abs(float64(s[0]+s[1]+s[2])-1) > 1e-6 || !(s[2] > s[1] && s[1] > s[0]) {
		t.Errorf("softmax = %v", s)
	}
	var a Arena
	w := &Param{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	b := &Param{Shape: []int{3}, Data: []float32{0.5, 0, -1}}
	out, err := FC(&a, []float32{1, 10}, w, b)
	if err != nil || out[0] != 41.5 || out[1] != 52 || out[2] != 62 {
		t.Errorf("fc = %v, %v", out, err)
	}
	if _, err := FC(&a, []float32{1}, w, b); err == nil {
		t.Error("fc with wrong input size: no error")
	}
}

func TestArenaReuse(t *testing.T) {
	var a Arena
	round := func() {
		a.Reset()
		_ = a.Floats(1000)
		_ = a.Raw(500)
	}
	round()
	round() // sized now
	allocs := testing.AllocsPerRun(10, round)
	if allocs != 0 {
		t.Errorf("warm arena allocates %v times per round", allocs)
	}
	if a.Size() < 6000 {
		t.Errorf("arena size %d bytes, want ≥ 6000", a.Size())
	}
	f := a.Floats(3)
	if f[0] != 0 || f[2] != 0 {
		t.Error("Floats not zeroed")
	}
}

func TestReLU6(t *testing.T) {
	in := []float32{-7, -0.5, float32(math.Copysign(0, -1)), 0, 0.25, 5.999, 6, 6.001, 1e9, float32(math.Inf(1))}
	want := []float32{0, 0, 0, 0, 0.25, 5.999, 6, 6, 6, 6}
	for _, simd := range []bool{false, true} {
		was := SetSIMD(simd)
		x := append([]float32(nil), in...)
		x = append(x, in...) // 20 values: the 8-wide loop and the tail
		ReLU6(x)
		SetSIMD(was)
		for i := range x {
			if x[i] != want[i%len(want)] {
				t.Errorf("simd %v: relu6[%d] = %v, want %v", simd, i, x[i], want[i%len(want)])
			}
		}
	}
	var a Arena
	x := Tensor{H: 1, W: 1, C: 8, Data: []float32{1, 2, -3, 4, 1, 2, -3, 4}}
	f := &Param{Shape: []int{1, 1, 8, 1}, Data: []float32{1, 1, 1, 1, 1, 1, 1, 1}}
	sc := []float32{2, 10, 1, 1, 2, 10, 1, 1}
	sh := []float32{-1, 0, 0, 0, -1, 0, 0, 0}
	y, err := DepthwiseAffineReLU6(&a, x, f, 1, Same, sc, sh)
	if err != nil || y.Data[0] != 1 || y.Data[1] != 6 || y.Data[2] != 0 || y.Data[3] != 4 || y.Data[5] != 6 {
		t.Errorf("depthwise affine relu6 = %v, %v", y.Data, err)
	}
}
