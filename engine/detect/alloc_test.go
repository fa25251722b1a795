package detect_test

import (
	"image"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/pipeline"
)

// sameFaces returns a WIDER crowd photo (416×416) and the same photo scaled to side×side
// by pixel replication, both ready for Detect.
func sameFaces(tb testing.TB, side int) (small, large *imageio.Image) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(detect.DataDir(tb), "detection-wider", "images", "7_Cheering_Cheering_7_373.jpg"))
	if err != nil {
		tb.Fatal(err)
	}
	small, err = imageio.Decode(b, imageio.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	src := small.Img
	sb := src.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			m.Set(x, y, src.At(sb.Min.X+x*sb.Dx()/side, sb.Min.Y+y*sb.Dy()/side))
		}
	}
	return small, imageio.FromImage(m)
}

// detectAlloc returns the bytes and objects one warm Detect allocates, on one goroutine:
// the least of a few runs, since a garbage collection during a run empties the pools and
// their refill is not an allocation that grows with the image.
func detectAlloc(d *detect.Detector, img *imageio.Image) (bytes, objects uint64, faces int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	d.Detect(img, detect.Options{})
	d.Detect(img, detect.Options{}) // warm the pools for this size
	for run := range 5 {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		faces = len(d.Detect(img, detect.Options{}))
		runtime.ReadMemStats(&m1)
		if b := m1.TotalAlloc - m0.TotalAlloc; run == 0 || b < bytes {
			bytes, objects = b, m1.Mallocs-m0.Mallocs
		}
	}
	return bytes, objects, faces
}

// TestDetectWithLandmarksAllocationDoesNotGrowWithImage checks the normal mode as the API
// runs it (SSD boxes, the landmark net on every face): the same faces in a 416² photo and
// in a 2000² copy (23× the pixels, faces 4.8× larger) cost about the same allocations;
// only the decoded image and the networks' inputs, which are sized by the networks, may
// depend on the image, and they are pooled.
func TestDetectWithLandmarksAllocationDoesNotGrowWithImage(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	d, err := pipeline.Detector()
	if err != nil {
		t.Fatal(err)
	}
	small, large := sameFaces(t, 2000)
	sb, so, sf := detectAlloc(d, small)
	lb, lo, lf := detectAlloc(d, large)
	t.Logf("Detect allocated %d B in %d objects on 416² (%d faces), %d B in %d objects on 2000² (%d faces)", sb, so, sf, lb, lo, lf)
	if sf < 3 || lf < sf/2 {
		t.Fatalf("%d faces on 416², %d on 2000²: not the same photo's faces", sf, lf)
	}
	// Per face a few hundred bytes of results; nothing per pixel (a 2000² RGB float crop of
	// one face alone would be megabytes).
	perFace := func(b uint64, n int) float64 { return float64(b) / float64(n) }
	if perFace(lb, lf) > 2*perFace(sb, sf)+4<<10 || lb > 256<<10 {
		t.Errorf("Detect allocated %d B on 416² and %d B on 2000²", sb, lb)
	}
}

// BenchmarkDetectImageSize reports the allocations of one normal-mode detection with the
// landmark net on a 416² WIDER photo and on a 2000² copy of it
// (go test ./engine/detect -run '^$' -bench DetectImageSize -benchmem -cpu 1).
func BenchmarkDetectImageSize(b *testing.B) {
	d, err := pipeline.Detector()
	if err != nil {
		b.Fatal(err)
	}
	small, large := sameFaces(b, 2000)
	for _, c := range []struct {
		name string
		img  *imageio.Image
	}{{"416", small}, {"2000", large}} {
		b.Run(c.name, func(b *testing.B) {
			d.Detect(c.img, detect.Options{}) // size the pooled scratch first
			b.ReportAllocs()
			for b.Loop() {
				d.Detect(c.img, detect.Options{})
			}
		})
	}
}
