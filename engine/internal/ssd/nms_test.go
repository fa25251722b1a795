package ssd

import (
	"math"
	"path/filepath"
	"testing"
)

func box(y0, x0, y1, x1, s float32) candidate {
	return candidate{ymin: y0, xmin: x0, ymax: y1, xmax: x1, score: s}
}

func TestIoU(t *testing.T) {
	cases := []struct {
		name string
		a, b candidate
		want float64
	}{
		{"same", box(0, 0, 1, 1, 1), box(0, 0, 1, 1, 1), 1},
		{"half overlap", box(0, 0, 1, 1, 1), box(0, 0.5, 1, 1.5, 1), 1.0 / 3},
		{"disjoint", box(0, 0, 1, 1, 1), box(2, 2, 3, 3, 1), 0},
		{"corners swapped", box(1, 1, 0, 0, 1), box(0, 0, 1, 1, 1), 1},
		{"zero area", box(0, 0, 0, 1, 1), box(0, 0, 1, 1, 1), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := iou(c.a, c.b); math.Abs(got-c.want) > 1e-6 {
				t.Errorf("iou = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSuppress(t *testing.T) {
	cands := []candidate{
		box(0, 0, 1, 1, 0.9),
		box(0, 0.1, 1, 1.1, 0.8),   // IoU 0.82 with the first: dropped
		box(0, 0.5, 1, 1.5, 0.7),   // IoU 1/3 with the first: kept
		box(0, 1, 1, 2, 0.6),       // IoU 1/3 with the third: kept
		box(5, 5, 6, 6, 0.5),       // alone: kept unless the cap is reached
		box(0, 0.02, 1, 1.02, 0.4), // dropped
	}
	got := suppress(append([]candidate(nil), cands...), 100)
	want := []float32{0.9, 0.7, 0.6, 0.5}
	if len(got) != len(want) {
		t.Fatalf("kept %d boxes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].score != w {
			t.Errorf("kept[%d].score = %v, want %v", i, got[i].score, w)
		}
	}
	if capped := suppress(append([]candidate(nil), cands...), 2); len(capped) != 2 || capped[1].score != 0.7 {
		t.Errorf("maxResults 2 kept %+v", capped)
	}
}

// TestDetectRegion checks that a region is detected as if it were the whole image and its
// boxes come back in the image's coordinates.
func TestDetectRegion(t *testing.T) {
	img := decodePhoto(t, filepath.Join(dataDir(t), "detection", "images", "2008_002079.jpg"))
	net, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	b := img.Img.Bounds()
	region := b
	region.Min.X += 40
	region.Min.Y += 30
	sub, err := net.Detect(img.Img, region, Options{MinConfidence: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	full, err := net.Detect(img.Img, b, Options{MinConfidence: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(sub) == 0 || len(full) == 0 {
		t.Fatalf("no faces: region %d, full %d", len(sub), len(full))
	}
	for _, d := range sub {
		if d.X < float64(region.Min.X)-1 || d.Y < float64(region.Min.Y)-1 {
			t.Errorf("box %+v starts outside region %v", d, region)
		}
		best := 0.0
		for _, f := range full {
			ix := math.Min(d.X+d.W, f.X+f.W) - math.Max(d.X, f.X)
			iy := math.Min(d.Y+d.H, f.Y+f.H) - math.Max(d.Y, f.Y)
			if ix > 0 && iy > 0 {
				best = math.Max(best, ix*iy/(d.W*d.H+f.W*f.H-ix*iy))
			}
		}
		if best < 0.5 {
			t.Errorf("region box %+v matches no full-image box (best IoU %.2f)", d, best)
		}
	}
	if _, err := net.Detect(img.Img, b.Add(b.Max), Options{}); err == nil {
		t.Error("region outside the image: no error")
	}
}
