package detect

import (
	"bufio"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/internal/ssd"
)

// widerFaces reads the scored faces of detection-wider/boxes.txt per image file name.
func widerFaces(t *testing.T, root string) map[string][]image.Rectangle {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "detection-wider", "boxes.txt"))
	if err != nil {
		t.Skipf("WIDER boxes absent: %v", err)
	}
	defer f.Close()
	out := map[string][]image.Rectangle{}
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
		out[fl[0]] = append(out[fl[0]], image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]))
	}
	return out
}

// TestDetectCrowds checks both modes on the WIDER photos with at least five scored faces:
// most faces are found, aggressive finds at least as many as normal, and every face
// carries landmarks inside a margin around its box.
func TestDetectCrowds(t *testing.T) {
	root := dataDir(t)
	d := detector(t)
	hits := map[string]int{}
	total := 0
	for name, want := range widerFaces(t, root) {
		if len(want) < 5 {
			continue
		}
		img := load(t, filepath.Join(root, "detection-wider", name))
		total += len(want)
		for _, mode := range []string{"normal", "aggressive"} {
			faces := d.Detect(img, Options{Mode: mode})
			for _, w := range want {
				for _, f := range faces {
					if rectIoU(f.Box, w) >= 0.3 {
						hits[mode]++
						break
					}
				}
			}
			for _, f := range faces {
				in := f.Box.Inset(-f.Box.Dx())
				for _, p := range []Point{f.EyeLeft, f.EyeRight, f.Nose, f.Mouth} {
					if !image.Pt(int(p.X), int(p.Y)).In(in) {
						t.Errorf("%s %s: landmark %+v far from face %v", name, mode, p, f.Box)
					}
				}
				if f.Confidence < 1 || f.Confidence > 100 {
					t.Errorf("%s %s: confidence %d", name, mode, f.Confidence)
				}
			}
		}
	}
	if total == 0 {
		t.Skip("no WIDER photo with five scored faces")
	}
	t.Logf("crowd photos: normal %d, aggressive %d of %d faces", hits["normal"], hits["aggressive"], total)
	if hits["aggressive"]*10 < total*6 {
		t.Errorf("aggressive (the CNN) found %d of %d crowd faces", hits["aggressive"], total)
	}
	if hits["aggressive"] < hits["normal"] {
		t.Errorf("aggressive found %d faces, normal %d", hits["aggressive"], hits["normal"])
	}
}

func TestBoxOverlap(t *testing.T) {
	a := image.Rect(0, 0, 10, 10)
	cases := []struct {
		name string
		b    image.Rectangle
		want bool
	}{
		{"same", a, true},
		{"disjoint", image.Rect(20, 20, 30, 30), false},
		{"small inside", image.Rect(2, 2, 6, 6), true},
		{"slight overlap", image.Rect(8, 8, 18, 18), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := boxOverlap(a, c.b); got != c.want {
				t.Errorf("boxOverlap = %v, want %v", got, c.want)
			}
		})
	}
}

// ssdRect is the face box Detect reports for an SSD detection (rounded, clipped).
func ssdRect(img *imageio.Image, x ssd.Detection) image.Rectangle {
	r := image.Rect(int(math.Round(x.X)), int(math.Round(x.Y)), int(math.Round(x.X+x.W)), int(math.Round(x.Y+x.H)))
	return r.Intersect(img.Img.Bounds()).Sub(img.Img.Bounds().Min)
}

// passBoxes runs one SSD pass of the aggressive mode (its first pass, or its large-face
// pass when large) and returns the boxes as Detect reports them.
func passBoxes(t *testing.T, d *Detector, img *imageio.Image, large bool) []image.Rectangle {
	t.Helper()
	p := modes["aggressive"].cnn
	o := ssd.Options{MinConfidence: p.minScore, MaxResults: maxCNNBoxes, InputSize: p.inputSize}
	if large {
		o.MinConfidence, o.InputSize = p.largeMinScore, p.largeSize
	}
	dets, err := d.cnn.Detect(img.Img, img.Img.Bounds(), o)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]image.Rectangle, len(dets))
	for i, x := range dets {
		out[i] = ssdRect(img, x)
	}
	return out
}

func hasBox(boxes []image.Rectangle, r image.Rectangle) bool {
	for _, b := range boxes {
		if b == r {
			return true
		}
	}
	return false
}

// TestAggressiveBoxOfLargeFaces checks on real photos which pass's box a face of the
// aggressive mode gets. On LFW's 250 px portraits the 416 pass resamples less than the
// 512 one, so the centre face, found by both, gets the 416 pass's box (the normal mode's
// box), which differs from the 512 pass's. On the detection set's 500 px photos the 512
// pass is the nearer one: every face keeps its first-pass box. On WIDER's 416 px crowds,
// faces below the large-face floor, which only the first pass reports, keep its box.
func TestAggressiveBoxOfLargeFaces(t *testing.T) {
	d := detector(t)
	root := dataDir(t)
	t.Run("lfw takes the 416 box", func(t *testing.T) {
		for _, p := range lfwSample(t, 8) {
			img := load(t, p)
			f, ok := centreFace(d.Detect(img, Options{Mode: "aggressive"}), img.Width, img.Height)
			if !ok {
				t.Errorf("%s: no centre face", filepath.Base(p))
				continue
			}
			first, large := passBoxes(t, d, img, false), passBoxes(t, d, img, true)
			if !hasBox(large, f.Box) {
				t.Errorf("%s: centre box %v is not the 416 pass's (%v)", filepath.Base(p), f.Box, large)
			}
			if hasBox(first, f.Box) {
				t.Errorf("%s: centre box %v is also the 512 pass's: the passes do not differ here", filepath.Base(p), f.Box)
			}
			normal, ok := centreFace(d.Detect(img, Options{}), img.Width, img.Height)
			if !ok || normal.Box != f.Box {
				t.Errorf("%s: aggressive box %v, normal %v", filepath.Base(p), f.Box, normal.Box)
			}
		}
	})
	t.Run("larger photos keep the 512 box", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(root, "detection", "images", "*.jpg"))
		if len(files) == 0 {
			t.Skip("detection set absent")
		}
		n := 0
		for _, p := range files {
			img := load(t, p)
			if max(img.Width, img.Height) <= 464 { // nearer 416 than 512
				continue
			}
			first := passBoxes(t, d, img, false)
			for _, f := range d.Detect(img, Options{Mode: "aggressive"}) {
				n++
				if !hasBox(first, f.Box) {
					t.Errorf("%s: box %v is not one of the 512 pass's %v", filepath.Base(p), f.Box, first)
				}
			}
		}
		if n == 0 {
			t.Error("no face found in the detection set")
		}
	})
	t.Run("small faces keep the first pass's box", func(t *testing.T) {
		var names []string
		for name := range widerFaces(t, root) {
			names = append(names, name)
		}
		sort.Strings(names)
		n := 0
		for _, name := range names {
			img := load(t, filepath.Join(root, "detection-wider", name))
			floor := largeFace * float64(min(img.Width, img.Height))
			first := passBoxes(t, d, img, false)
			for _, f := range d.Detect(img, Options{Mode: "aggressive"}) {
				if float64(min(f.Box.Dx(), f.Box.Dy())) >= floor-1 {
					continue
				}
				n++
				if !hasBox(first, f.Box) {
					t.Errorf("%s: small face %v is not one of the 512 pass's boxes", name, f.Box)
				}
			}
			if n >= 40 {
				break
			}
		}
		if n == 0 {
			t.Error("no small face found in the WIDER photos")
		}
	})
}

func TestCloserToNative(t *testing.T) {
	cases := []struct {
		long float64
		want bool
	}{
		{250, true},  // 416 upsamples 1.66×, 512 2.05×
		{416, true},  // 416 is native
		{500, false}, // 512 is nearer
		{2000, false},
		{0, false},
	}
	for _, c := range cases {
		if got := closerToNative(c.long, 416, 512); got != c.want {
			t.Errorf("closerToNative(%v, 416, 512) = %v, want %v", c.long, got, c.want)
		}
	}
}

func TestMergeLarge(t *testing.T) {
	det := func(x, y, side float64, score float32) ssd.Detection {
		return ssd.Detection{X: x, Y: y, W: side, H: side, Score: score}
	}
	main := []ssd.Detection{det(0, 0, 100, 0.9), det(300, 0, 20, 0.8)}
	extra := []ssd.Detection{
		det(5, 5, 90, 0.99),    // the first face again
		det(0, 0, 110, 0.95),   // and again: it is replaced once only
		det(300, 0, 22, 0.99),  // the small face: below the floor, never used
		det(500, 500, 80, 0.7), // a new large face
		det(250, 0, 200, 0.4),  // a box around the small face: contains it, replaces nothing
	}
	cases := []struct {
		name   string
		prefer bool
		want   []ssd.Detection
	}{
		{"prefer the second pass", true, []ssd.Detection{extra[0], main[1], extra[3]}},
		{"keep the first pass", false, []ssd.Detection{main[0], main[1], extra[3]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mergeLarge(append([]ssd.Detection(nil), main...), extra, 50, c.prefer)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("detection %d: %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestDropOverlapping(t *testing.T) {
	det := func(x, y, side float64, score float32) ssd.Detection {
		return ssd.Detection{X: x, Y: y, W: side, H: side, Score: score}
	}
	a := det(0, 0, 100, 0.9)   // a face
	b := det(120, 0, 100, 0.8) // its neighbour, not overlapping
	s := det(50, 0, 100, 0.4)  // straddles a (IoU 1/3) and touches b (0.18)
	y := det(40, 0, 100, 0.8)  // overlaps a (IoU 0.43): it goes
	z := det(80, 0, 100, 0.7)  // overlaps y (0.43), barely a (0.11): kept, y being gone
	cases := []struct {
		name string
		in   []ssd.Detection
		iou  float64
		want []ssd.Detection
	}{
		{"off", []ssd.Detection{a, s, b}, 0, []ssd.Detection{a, s, b}},
		{"the straddling box goes, the order stays", []ssd.Detection{s, b, a}, 0.3, []ssd.Detection{b, a}},
		{"below the IoU it stays", []ssd.Detection{a, s, b}, 0.4, []ssd.Detection{a, s, b}},
		{"greedy: a box suppressed suppresses nothing", []ssd.Detection{z, y, a}, 0.3, []ssd.Detection{z, a}},
		{"equal scores: the first is kept", []ssd.Detection{det(0, 0, 100, 0.5), det(10, 0, 100, 0.5)}, 0.3, []ssd.Detection{det(0, 0, 100, 0.5)}},
		{"one box", []ssd.Detection{s}, 0.3, []ssd.Detection{s}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append([]ssd.Detection(nil), c.in...)
			got := dropOverlapping(in, c.iou)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("detection %d: %v, want %v", i, got[i], c.want[i])
				}
			}
			for i := range in {
				if in[i] != c.in[i] {
					t.Fatalf("the input was changed: %v", in)
				}
			}
		})
	}
}

// TestNoBoxStraddlesTwoFaces: on an LFW portrait of two people cheek to cheek, the SSD
// alone also reports a low-scoring box over half of each face, larger than either (so a
// client taking the largest face took it); both modes report the two faces only.
func TestNoBoxStraddlesTwoFaces(t *testing.T) {
	root := dataDir(t)
	img := load(t, filepath.Join(root, "recognition", "lfw", "images", "Melissa_Etheridge", "Melissa_Etheridge_0001.jpg"))
	d := detector(t)
	for _, mode := range []string{"normal", "aggressive"} {
		faces := d.Detect(img, Options{Mode: mode})
		if len(faces) != 2 {
			t.Fatalf("%s: %d faces %v, want the two people", mode, len(faces), faces)
		}
		if iou := rectIoU(faces[0].Box, faces[1].Box); iou > 0.2 {
			t.Errorf("%s: the two faces overlap (IoU %.2f): %v, %v", mode, iou, faces[0].Box, faces[1].Box)
		}
	}
	// The SSD's own output has the straddling box: the test would pass without it otherwise.
	p := *modes["normal"].cnn
	p.overlapIoU = 0
	cands, _ := d.cnnScan(img, p)
	if len(cands) != 3 {
		t.Errorf("the SSD without the suppression gave %d boxes, want 3 (two faces and the box straddling them)", len(cands))
	}
}
