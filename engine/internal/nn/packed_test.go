package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestConvPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		h, w, k, cin, cout, s int
		pad                   Padding
		zeros                 float64 // fraction of zero inputs (ReLU outputs)
	}{
		{9, 7, 3, 4, 16, 1, Same, 0.2},
		{8, 8, 3, 3, 32, 2, Same, 0},
		{7, 9, 3, 5, 17, 2, Same, 0.5},
		{20, 20, 7, 3, 32, 2, Valid, 0},
		{5, 6, 1, 8, 16, 1, Same, 0.6},
		{6, 6, 1, 8, 16, 2, Same, 0.4},
		{13, 13, 1, 64, 48, 1, Same, 0.9},  // 169 rows: a partial last tile
		{4, 5, 1, 33, 7, 1, Same, 0.3},     // fewer columns than a panel
		{26, 26, 1, 128, 256, 1, Same, 1},  // all zero: only the bias is left
		{40, 40, 1, 32, 64, 1, Same, 0.45}, // large enough to split across goroutines
	}
	for _, c := range cases {
		for _, simd := range []bool{false, true} {
			for _, clip := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d k%d s%d →%d simd=%v relu6=%v", c.h, c.w, c.cin, c.k, c.s, c.cout, simd, clip)
				t.Run(name, func(t *testing.T) {
					was := SetSIMD(simd)
					defer SetSIMD(was)
					var a Arena
					x := Tensor{H: c.h, W: c.w, C: c.cin, Data: randSlice(r, c.h*c.w*c.cin, c.zeros)}
					f := &Param{Shape: []int{c.k, c.k, c.cin, c.cout}, Data: randSlice(r, c.k*c.k*c.cin*c.cout, 0)}
					b := randSlice(r, c.cout, 0)
					pf, err := PackFilter(f)
					if err != nil {
						t.Fatal(err)
					}
					got, err := ConvPacked(&a, x, pf, b, c.s, c.pad, clip)
					if err != nil {
						t.Fatal(err)
					}
					shape, want := naiveConv(x, f, b, c.s, c.pad, false)
					if clip {
						for i, v := range want {
							want[i] = math.Min(math.Max(v, 0), 6)
						}
					}
					closeTo(t, got, shape, want)
				})
			}
		}
	}
}

// TestConvPackedMatchesConv2D checks that skipping all-zero steps and storing the tile
// with its bias in registers gives exactly Conv2D's values (full 6×16 tiles, SIMD path, one
// goroutine: Conv2D's split across goroutines leaves rows to its non-FMA loop).
func TestConvPackedMatchesConv2D(t *testing.T) {
	if !haveSIMD {
		t.Skip("no AVX2/FMA")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range []struct{ h, w, k, cin, cout, s int }{
		{12, 12, 1, 32, 64, 1}, {6, 10, 1, 512, 512, 1}, {12, 12, 3, 16, 32, 2}, {6, 6, 1, 1024, 48, 1},
	} {
		x := Tensor{H: c.h, W: c.w, C: c.cin, Data: randSlice(r, c.h*c.w*c.cin, 0.5)}
		for i := range x.Data {
			x.Data[i] = float32(math.Abs(float64(x.Data[i])))
		}
		f := &Param{Shape: []int{c.k, c.k, c.cin, c.cout}, Data: randSlice(r, c.k*c.k*c.cin*c.cout, 0)}
		b := &Param{Shape: []int{c.cout}, Data: randSlice(r, c.cout, 0)}
		pf, err := PackFilter(f)
		if err != nil {
			t.Fatal(err)
		}
		var a1, a2 Arena
		want, err := Conv2DReLU6(&a1, x, f, b, c.s, Same)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ConvPacked(&a2, x, pf, b.Data, c.s, Same, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("%+v: [%d] = %v, Conv2D gives %v", c, i, got.Data[i], want.Data[i])
			}
		}
	}
}

func TestConvPackedRejects(t *testing.T) {
	var a Arena
	f, err := PackFilter(&Param{Shape: []int{1, 1, 4, 8}, Data: make([]float32, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ConvPacked(&a, Tensor{H: 2, W: 2, C: 3, Data: make([]float32, 12)}, f, nil, 1, Same, false); err == nil {
		t.Error("3 input channels for a 4-channel filter: no error")
	}
	if _, err := ConvPacked(&a, Tensor{H: 2, W: 2, C: 4, Data: make([]float32, 16)}, f, make([]float32, 7), 1, Same, false); err == nil {
		t.Error("7 biases for 8 outputs: no error")
	}
	if _, err := PackFilter(&Param{Shape: []int{1, 1, 4}, Data: make([]float32, 4)}); err == nil {
		t.Error("3-D filter packed")
	}
	if _, err := PackFilter(&Param{Shape: []int{1, 1, 4, 8}, Data: make([]float32, 31)}); err == nil {
		t.Error("filter with too few values packed")
	}
}

// TestConvPackedWarmAllocs checks that a warm call on one goroutine allocates nothing.
func TestConvPackedWarmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r := rand.New(rand.NewPCG(15, 16))
	x := Tensor{H: 26, W: 26, C: 64, Data: randSlice(r, 26*26*64, 0.4)}
	f, _ := PackFilter(&Param{Shape: []int{1, 1, 64, 128}, Data: randSlice(r, 64*128, 0)})
	b := randSlice(r, 128, 0)
	var a Arena
	run := func() {
		a.Reset()
		if _, err := ConvPacked(&a, x, f, b, 1, Same, true); err != nil {
			t.Fatal(err)
		}
	}
	run()
	run()
	// Collections empty the step-buffer pool: the collector stays off while counting.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if n := testing.AllocsPerRun(20, run); n > 0 {
		t.Errorf("%v allocations per warm call, want 0", n)
	}
}

// BenchmarkConvPacked compares the packed GEMM with Conv2D on the SSD's pointwise shapes at
// a 416 input, with half of the inputs zero as after ReLU6
// (go test ./engine/internal/nn -run '^$' -bench ConvPacked -cpu 1).
func BenchmarkConvPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, s := range []struct{ hw, cin, cout int }{{208, 32, 64}, {104, 128, 128}, {26, 512, 512}, {13, 1024, 1024}} {
		x := Tensor{H: s.hw, W: s.hw, C: s.cin, Data: randSlice(r, s.hw*s.hw*s.cin, 0.5)}
		f := &Param{Shape: []int{1, 1, s.cin, s.cout}, Data: randSlice(r, s.cin*s.cout, 0)}
		bias := &Param{Shape: []int{s.cout}, Data: randSlice(r, s.cout, 0)}
		pf, _ := PackFilter(f)
		flops := float64(2 * s.hw * s.hw * s.cin * s.cout)
		b.Run(fmt.Sprintf("%dx%dx%d→%d/conv2d", s.hw, s.hw, s.cin, s.cout), func(b *testing.B) {
			var a Arena
			for b.Loop() {
				a.Reset()
				if _, err := Conv2DReLU6(&a, x, f, bias, 1, Same); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%dx%dx%d→%d/packed", s.hw, s.hw, s.cin, s.cout), func(b *testing.B) {
			var a Arena
			for b.Loop() {
				a.Reset()
				if _, err := ConvPacked(&a, x, pf, bias.Data, 1, Same, true); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
