package detect

import (
	"bufio"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/facegate/facegate/engine/imageio"
)

var shared struct {
	once sync.Once
	d    *Detector
	err  error
}

func detector(t testing.TB) *Detector {
	t.Helper()
	shared.once.Do(func() { shared.d, shared.err = Default() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.d
}

func load(t testing.TB, path string) *imageio.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(b, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func rectIoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

func TestDetectDetectionSet(t *testing.T) {
	root := dataDir(t)
	f, err := os.Open(filepath.Join(root, "detection", "boxes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]image.Rectangle{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 5 || strings.HasPrefix(fl[0], "#") {
			continue
		}
		var v [4]int
		for i := range v {
			v[i], _ = strconv.Atoi(fl[i+1])
		}
		want[fl[0]] = append(want[fl[0]], image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]))
	}
	d := detector(t)
	found, total, extra := 0, 0, 0
	for name, boxes := range want {
		t.Run(filepath.Base(name), func(t *testing.T) {
			img := load(t, filepath.Join(root, "detection", name))
			faces := d.Detect(img, Options{})
			used := make([]bool, len(faces))
			hit := 0
			for _, b := range boxes {
				for i, fc := range faces {
					if !used[i] && rectIoU(fc.Box, b) >= 0.4 {
						used[i] = true
						hit++
						break
					}
				}
			}
			// Most annotated faces are found in every photo.
			if hit*2 < len(boxes) {
				t.Errorf("found %d of %d faces at IoU ≥ 0.4", hit, len(boxes))
			}
			found += hit
			total += len(boxes)
			extra += len(faces) - hit
		})
	}
	if found*10 < total*8 || extra > 2 {
		t.Errorf("detection set: %d/%d faces found at IoU ≥ 0.4, %d other detections", found, total, extra)
	}
}

func lfwSample(t testing.TB, n int) []string {
	files, _ := filepath.Glob(filepath.Join(dataDir(t), "recognition", "lfw", "images", "*", "*.jpg"))
	if len(files) < n {
		t.Skip("LFW images absent")
	}
	out := make([]string, n)
	for i := range out {
		out[i] = files[i*len(files)/n]
	}
	return out
}

// centreFace returns the face whose box contains the image centre, if any.
func centreFace(faces []Face, w, h int) (Face, bool) {
	for _, f := range faces {
		if image.Pt(w/2, h/2).In(f.Box) {
			return f, true
		}
	}
	return Face{}, false
}

func TestDetectLFW(t *testing.T) {
	d := detector(t)
	miss := 0
	for _, p := range lfwSample(t, 24) {
		img := load(t, p)
		f, ok := centreFace(d.Detect(img, Options{}), img.Width, img.Height)
		if !ok {
			miss++
			continue
		}
		in := f.Box.Inset(-f.Box.Dx() / 4)
		for name, pt := range map[string]Point{"eye_left": f.EyeLeft, "eye_right": f.EyeRight, "nose": f.Nose, "mouth": f.Mouth} {
			if !image.Pt(int(pt.X), int(pt.Y)).In(in) || pt.Confidence < 0 || pt.Confidence > 100 {
				t.Errorf("%s: %s %+v outside face %v", filepath.Base(p), name, pt, f.Box)
			}
		}
		if f.EyeLeft.X <= f.EyeRight.X {
			t.Errorf("%s: eye_left.x %.1f ≤ eye_right.x %.1f", filepath.Base(p), f.EyeLeft.X, f.EyeRight.X)
		}
		if !(f.EyeLeft.Y < f.Mouth.Y && f.Nose.Y < f.Mouth.Y) {
			t.Errorf("%s: eyes %v %v nose %v mouth %v not top to bottom", filepath.Base(p), f.EyeLeft, f.EyeRight, f.Nose, f.Mouth)
		}
		if f.Confidence < 50 || f.Confidence > 100 || math.Abs(f.Roll) > 30 {
			t.Errorf("%s: confidence %d roll %.1f", filepath.Base(p), f.Confidence, f.Roll)
		}
	}
	if miss > 1 {
		t.Errorf("centre face missed in %d of 24 LFW images", miss)
	}
}

// rotate returns m rotated by deg degrees (clockwise on screen) about its centre,
// nearest neighbour, grey background.
func rotate(m image.Image, deg float64) *image.RGBA {
	b := m.Bounds()
	out := image.NewRGBA(b)
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := int(cx+dx*c+dy*s), int(cy-dx*s+dy*c)
			if sx >= 0 && sy >= 0 && sx < b.Dx() && sy < b.Dy() {
				out.Set(x, y, m.At(b.Min.X+sx, b.Min.Y+sy))
			} else {
				out.Set(x, y, color.Gray{128})
			}
		}
	}
	return out
}

func TestDetectRollAndScale(t *testing.T) {
	d := detector(t)
	src := load(t, lfwSample(t, 8)[3]).Img
	base, ok := centreFace(d.DetectImage(src, Options{}), 250, 250)
	if !ok {
		t.Skip("centre face not found upright")
	}
	for _, deg := range []float64{-20, 20} {
		t.Run(strconv.Itoa(int(deg)), func(t *testing.T) {
			f, ok := centreFace(d.DetectImage(rotate(src, deg), Options{}), 250, 250)
			if !ok {
				t.Fatal("rotated centre face not found")
			}
			if got := f.Roll - base.Roll; math.Abs(got-deg) > 8 {
				t.Errorf("roll changed by %.1f°, want ≈ %.0f°", got, deg)
			}
		})
	}
	t.Run("upscaled 5x reports original pixels", func(t *testing.T) {
		big := image.NewRGBA(image.Rect(0, 0, 1250, 1250))
		for y := 0; y < 1250; y++ {
			for x := 0; x < 1250; x++ {
				big.Set(x, y, src.At(x/5, y/5))
			}
		}
		img := imageio.FromImage(big)
		if img.Scale <= 1 {
			t.Fatalf("scale %v, want > 1", img.Scale)
		}
		f, ok := centreFace(d.Detect(img, Options{}), 1250, 1250)
		if !ok {
			t.Fatal("centre face not found")
		}
		bc := base.Box.Min.Add(base.Box.Max).Div(2).Mul(5)
		fc := f.Box.Min.Add(f.Box.Max).Div(2)
		if math.Hypot(float64(bc.X-fc.X), float64(bc.Y-fc.Y)) > 0.15*float64(f.Box.Dx()) ||
			math.Abs(float64(f.Box.Dx())/float64(5*base.Box.Dx())-1) > 0.25 {
			t.Errorf("box %v, want ≈ 5× %v", f.Box, base.Box)
		}
		if math.Abs(f.EyeLeft.X-5*base.EyeLeft.X) > 0.1*float64(f.Box.Dx()) {
			t.Errorf("eye_left.x %.0f, want ≈ %.0f", f.EyeLeft.X, 5*base.EyeLeft.X)
		}
	})
}

func TestDetectBounds(t *testing.T) {
	d := detector(t)
	root := dataDir(t)
	group := load(t, filepath.Join(root, "detection", "images", "2007_007763.jpg"))
	cases := []struct {
		name string
		img  *imageio.Image
		opt  Options
		max  int
	}{
		{"nil", nil, Options{}, 0},
		{"blank", imageio.FromImage(image.NewGray(image.Rect(0, 0, 300, 200))), Options{}, 0},
		{"tiny", imageio.FromImage(image.NewGray(image.Rect(0, 0, 5, 3))), Options{}, 0},
		{"max one", group, Options{MaxFaces: 1}, 1},
		{"max three aggressive", group, Options{MaxFaces: 3, Mode: "aggressive"}, 3},
		{"unknown mode is normal", group, Options{Mode: "bogus"}, 64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			faces := d.Detect(tc.img, tc.opt)
			if len(faces) > tc.max {
				t.Fatalf("%d faces, want ≤ %d", len(faces), tc.max)
			}
			for i := 1; i < len(faces); i++ {
				if faces[i].Box.Dx() > faces[i-1].Box.Dx() {
					t.Fatalf("faces not sorted by size: %v then %v", faces[i-1].Box, faces[i].Box)
				}
			}
			if tc.max == 1 && len(faces) != 1 {
				t.Fatalf("got %d faces, want the largest one", len(faces))
			}
		})
	}
}

func TestDetectConcurrent(t *testing.T) {
	d := detector(t)
	root := dataDir(t)
	paths, _ := filepath.Glob(filepath.Join(root, "detection", "images", "*.jpg"))
	if len(paths) < 2 {
		t.Skip("detection images absent")
	}
	paths = paths[:2]
	imgs := make([]*imageio.Image, len(paths))
	want := make([][]Face, len(paths))
	for i, p := range paths {
		imgs[i] = load(t, p)
		want[i] = d.Detect(imgs[i], Options{})
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range imgs {
				got := d.Detect(imgs[(i+g)%len(imgs)], Options{})
				w := want[(i+g)%len(imgs)]
				if len(got) != len(w) {
					t.Errorf("goroutine %d: %d faces, want %d", g, len(got), len(w))
					continue
				}
				for k := range got {
					if got[k].Box != w[k].Box {
						t.Errorf("goroutine %d: box %v, want %v", g, got[k].Box, w[k].Box)
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestDetectImageUsesProcessDetector(t *testing.T) {
	d := detector(t)
	if dd, err := Default(); err != nil || dd != d {
		t.Fatalf("Default() = %p, %v; want the shared detector %p", dd, err, d)
	}
	src := load(t, lfwSample(t, 8)[5]).Img
	got, want := DetectImage(src, Options{}), d.Detect(imageio.FromImage(src), Options{})
	if len(got) == 0 || len(got) != len(want) || got[0].Box != want[0].Box {
		t.Fatalf("DetectImage = %d faces, Detect = %d", len(got), len(want))
	}
	if DetectImage(nil, Options{}) != nil {
		t.Fatal("faces in a nil image")
	}
}

func TestDetectAllocationDoesNotGrowWithImage(t *testing.T) {
	d := detector(t)
	src := load(t, lfwSample(t, 8)[2]).Img
	var small, large uint64
	for _, tc := range []struct {
		side int
		dst  *uint64
	}{{250, &small}, {1000, &large}} {
		m := image.NewRGBA(image.Rect(0, 0, tc.side, tc.side))
		k := tc.side / 250
		for y := 0; y < tc.side; y++ {
			for x := 0; x < tc.side; x++ {
				m.Set(x, y, src.At(x/k, y/k))
			}
		}
		img := imageio.FromImage(m)
		d.Detect(img, Options{}) // warm pools
		// The least of a few runs: a garbage collection during a run empties the
		// pools, and refilling them is not an allocation that grows with the image.
		for run := range 5 {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			faces := d.Detect(img, Options{})
			runtime.ReadMemStats(&m1)
			if len(faces) == 0 {
				t.Fatalf("%d px: no face", tc.side)
			}
			if n := m1.TotalAlloc - m0.TotalAlloc; run == 0 || n < *tc.dst {
				*tc.dst = n
			}
		}
	}
	t.Logf("Detect allocated %d B on 250², %d B on 1000²", small, large)
	// 16× the pixels; detection allocations are per window cluster and per face, not per
	// pixel (the 1000×1000 grayscale alone would be ~1 MB).
	if large > 4*small+64<<10 || large > 512<<10 {
		t.Errorf("Detect allocated %d B on 250² and %d B on 1000²", small, large)
	}
}
