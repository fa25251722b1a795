package faceapi

import (
	"errors"
	"image"
	"image/color"
	"math"
	"runtime/debug"
	"testing"
	"testing/fstest"
)

func TestLoadIsShared(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load()
	if a != b {
		t.Error("Load decoded the models twice")
	}
	if a.WeightBytes() < 4*6_000_000 {
		t.Errorf("WeightBytes = %d, want ≥ 24 MB for four nets", a.WeightBytes())
	}
}

func TestLoadFSErrors(t *testing.T) {
	cases := []struct {
		name string
		fs   fstest.MapFS
	}{
		{"missing files", fstest.MapFS{}},
		{"bad manifest", fstest.MapFS{
			"face_recognition_model-weights_manifest.json": {Data: []byte("[")},
			"face_recognition_model.bin":                   {Data: nil},
		}},
		{"wrong net in file", fstest.MapFS{
			"face_recognition_model-weights_manifest.json": {Data: []byte(`[{"weights":[{"name":"x","shape":[1],"dtype":"float32"}]}]`)},
			"face_recognition_model.bin":                   {Data: make([]byte, 4)},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := LoadFS(c.fs); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestBadInputsGiveErrors(t *testing.T) {
	m := testModels(t)
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	var nanLM [68]Point
	nanLM[3].X = math.NaN()
	var zeroLM [68]Point
	cases := []struct {
		name string
		run  func() error
	}{
		{"landmarks box outside image", func() error { _, err := m.Landmarks(img, image.Rect(100, 100, 150, 150)); return err }},
		{"landmarks empty box", func() error { _, err := m.Landmarks(img, image.Rect(10, 10, 10, 40)); return err }},
		{"descriptor NaN landmarks", func() error { _, err := m.Descriptor(img, nanLM); return err }},
		{"descriptor degenerate landmarks", func() error { _, err := m.Descriptor(img, zeroLM); return err }},
		{"age/gender NaN landmarks", func() error { _, _, err := m.AgeGender(img, nanLM); return err }},
		{"expression degenerate landmarks", func() error { _, err := m.Expression(img, zeroLM); return err }},
		{"describe nil chip", func() error { _, err := m.DescribeChip(nil); return err }},
		{"describe short chip", func() error { _, err := m.DescribeChip(&RGB{W: 10, H: 10, Pix: make([]float32, 3)}); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil {
				t.Fatal("no error")
			}
			if c.name == "landmarks box outside image" && !errors.Is(err, errEmpty) {
				t.Errorf("err = %v, want errEmpty", err)
			}
		})
	}
}

// TestPipelineOnDrawnFace runs landmarks → descriptor/attributes on a crude drawn face and
// checks the outputs are well-formed and in image coordinates.
func TestPipelineOnDrawnFace(t *testing.T) {
	m := testModels(t)
	img := image.NewRGBA(image.Rect(0, 0, 200, 200))
	for y := range 200 {
		for x := range 200 {
			c := color.RGBA{90, 90, 100, 255}
			dx, dy := float64(x-100)/45, float64(y-105)/60
			if dx*dx+dy*dy < 1 {
				c = color.RGBA{220, 180, 150, 255}
			}
			for _, e := range [][2]int{{82, 90}, {118, 90}} {
				if (x-e[0])*(x-e[0])+(y-e[1])*(y-e[1]) < 36 {
					c = color.RGBA{30, 30, 30, 255}
				}
			}
			if y > 130 && y < 138 && x > 85 && x < 115 {
				c = color.RGBA{150, 40, 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	box := image.Rect(50, 40, 150, 170)
	lm, err := m.Landmarks(img, box)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range lm {
		if p.X < 20 || p.X > 180 || p.Y < 20 || p.Y > 190 {
			t.Fatalf("landmark %d at %v, outside the face region", i, p)
		}
	}
	if l, r, mo := centres(&lm); !(l.X < r.X && mo.Y > l.Y && mo.Y > r.Y) {
		t.Errorf("eye/mouth layout wrong: %v %v %v", l, r, mo)
	}
	d, err := m.Descriptor(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	var norm float64
	for _, v := range d {
		norm += float64(v) * float64(v)
	}
	if norm < 0.1 || norm > 10 {
		t.Errorf("descriptor norm² %v out of the usual range", norm)
	}
	age, male, err := m.AgeGender(img, lm)
	if err != nil || age < 0 || age > 120 || male < 0 || male > 1 {
		t.Errorf("age %v male %v err %v", age, male, err)
	}
	ex, err := m.Expression(img, lm)
	var sum float32
	for _, p := range ex {
		sum += p
	}
	if err != nil || math.Abs(float64(sum)-1) > 1e-4 {
		t.Errorf("expressions %v sum %v err %v", ex, sum, err)
	}
}

// TestWarmInferenceDoesNotAllocate checks that pooled arenas make repeated inference
// allocation-free (AllocsPerRun runs with GOMAXPROCS=1, so the GEMM runs inline).
func TestWarmInferenceDoesNotAllocate(t *testing.T) {
	m := testModels(t)
	c := loadGolden(t)[1]
	img := goldenInput(t, c)
	cases := []struct {
		name string
		run  func()
	}{
		{"descriptor", func() { _, _ = m.DescribeChip(img) }},
		{"landmarks", func() { _, _ = m.LandmarksRGB(img) }},
		{"age/gender", func() { _, _, _ = m.AgeGenderRGB(img) }},
		{"expression", func() { _, _ = m.ExpressionRGB(img) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run()
			c.run()
			// Collections empty the arena pool (the next call then allocates a new arena):
			// the collector stays off while the warm calls are counted.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			if n := testing.AllocsPerRun(5, c.run); n > 0 {
				t.Errorf("%v allocations per warm call", n)
			}
		})
	}
}

// TestConcurrentUse runs the descriptor from several goroutines at once; every result must
// equal the serial one (arenas are per call, weights read-only).
func TestConcurrentUse(t *testing.T) {
	m := testModels(t)
	c := loadGolden(t)[0]
	img := goldenInput(t, c)
	want, err := m.DescribeChip(img)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 4
	errs := make(chan error, workers)
	got := make(chan [128]float32, workers)
	for range workers {
		go func() {
			d, err := m.DescribeChip(img)
			errs <- err
			got <- d
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if d := <-got; d != want {
			t.Error("concurrent descriptor differs from the serial one")
		}
	}
}
