package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDepthwiseAffineReLU6 checks the fused depthwise conv (whole interior rows per call on
// the SIMD path) against a float64 reference, on odd sizes, both strides and channel
// counts the row kernel takes (multiples of 8) and leaves to the loops (6), in an arena
// whose memory holds NaNs from an earlier round (the output is not zeroed first).
func TestDepthwiseAffineReLU6(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, simd := range []bool{false, true} {
		for _, c := range []int{6, 8, 24} {
			for _, s := range []int{1, 2} {
				for _, hw := range [][2]int{{8, 7}, {9, 9}, {3, 5}, {2, 2}} {
					t.Run(fmt.Sprintf("simd=%v c=%d s=%d %dx%d", simd, c, s, hw[0], hw[1]), func(t *testing.T) {
						defer SetSIMD(SetSIMD(simd))
						var a Arena
						nan := a.Raw(4 * hw[0] * hw[1] * c)
						for i := range nan {
							nan[i] = float32(math.NaN())
						}
						a.Reset()
						a.Reset()
						x := randTensor(r, hw[0], hw[1], c)
						f := &Param{Shape: []int{3, 3, c, 1}, Data: randSlice(r, 9*c, 0)}
						scale, shift := randSlice(r, c, 0), randSlice(r, c, 0)
						for i := range scale {
							scale[i] *= 8 // reach both ends of the clip
						}
						got, err := DepthwiseAffineReLU6(&a, x, f, s, Same, scale, shift)
						if err != nil {
							t.Fatal(err)
						}
						shape, want := naiveConv(x, f, nil, s, Same, true)
						for i := range want {
							ch := i % c
							want[i] = math.Min(math.Max(want[i]*float64(scale[ch])+float64(shift[ch]), 0), 6)
						}
						closeTo(t, got, shape, want)
					})
				}
			}
		}
	}
}

// TestDepthwiseRowMatchesPixels checks that the row kernel gives bitwise the values of the
// per-pixel SIMD kernel followed by the Go affine and clip.
func TestDepthwiseRowMatchesPixels(t *testing.T) {
	if !haveSIMD {
		t.Skip("no AVX2/FMA")
	}
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range []int{1, 2} {
		var a1, a2 Arena
		x := randTensor(r, 13, 11, 32)
		f := &Param{Shape: []int{3, 3, 32, 1}, Data: randSlice(r, 9*32, 0)}
		scale, shift := randSlice(r, 32, 0), randSlice(r, 32, 0)
		got, err := DepthwiseAffineReLU6(&a1, x, f, s, Same, scale, shift)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Depthwise(&a2, x, f, s, Same)
		if err != nil {
			t.Fatal(err)
		}
		for p := 0; p < len(want.Data); p += 32 {
			epilogue(want.Data[p:p+32], scale, shift)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("stride %d: [%d] = %v, per pixel %v", s, i, got.Data[i], want.Data[i])
			}
		}
	}
}

// BenchmarkDepthwiseAffineReLU6 compares the fused row kernel with the per-pixel depthwise
// kernel followed by the affine and clip (the path before it), on the SSD's depthwise
// shapes at a 416 input (go test ./engine/internal/nn -run '^$' -bench DepthwiseAffine -cpu 1).
func BenchmarkDepthwiseAffineReLU6(b *testing.B) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, s := range []struct{ hw, c, stride int }{{208, 32, 1}, {208, 64, 2}, {104, 128, 1}, {26, 512, 1}} {
		x := randTensor(r, s.hw, s.hw, s.c)
		f := &Param{Shape: []int{3, 3, s.c, 1}, Data: randSlice(r, 9*s.c, 0)}
		scale, shift := randSlice(r, s.c, 0), randSlice(r, s.c, 0)
		name := fmt.Sprintf("%dx%dx%d-s%d", s.hw, s.hw, s.c, s.stride)
		b.Run(name+"/per-pixel+epilogue", func(b *testing.B) {
			var a Arena
			for b.Loop() {
				a.Reset()
				out, err := Depthwise(&a, x, f, s.stride, Same)
				if err != nil {
					b.Fatal(err)
				}
				for p := 0; p < len(out.Data); p += s.c {
					epilogue(out.Data[p:p+s.c], scale, shift)
				}
			}
		})
		b.Run(name+"/fused-rows", func(b *testing.B) {
			var a Arena
			for b.Loop() {
				a.Reset()
				if _, err := DepthwiseAffineReLU6(&a, x, f, s.stride, Same, scale, shift); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
