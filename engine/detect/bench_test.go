package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/engine/imageio"
)

// BenchmarkDetect measures Detect (normal mode) on the shared detection photos, or on
// the WIDER crowd photos with FACEGATE_BENCH_SET=wider; it reports allocations, which
// must not grow with the image size.
func BenchmarkDetect(b *testing.B) {
	root := dataDir(b)
	files, _ := filepath.Glob(filepath.Join(root, "detection", "images", "*.jpg"))
	if os.Getenv("FACEGATE_BENCH_SET") == "wider" {
		files, _ = filepath.Glob(filepath.Join(root, "speed", "wider416", "*.jpg"))
	}
	if len(files) == 0 {
		b.Skip("no detection images")
	}
	d, err := New()
	if err != nil {
		b.Fatal(err)
	}
	var imgs []*imageio.Image
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		img, err := imageio.Decode(data, imageio.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d.Detect(imgs[i%len(imgs)], Options{})
	}
}
