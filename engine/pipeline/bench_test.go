package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/facegate/facegate/engine/service"
)

// BenchmarkAnalyzeForRecognize measures what faces/recognize asks of the engine per image
// (detect, points, and for every recognizable face a descriptor and the default
// attributes): LFW portraits, and crowd photos where the quality gate decides how many
// faces are described. The shared data dir is FACEGATE_FACES_DIR or ../shared/data/faces
// seen from the repository root. cpu-ms/image is the process's CPU time per image (with
// -cpu 1 the work of one image, whatever the machine's load). Compare commits with the
// same command: go test ./engine/pipeline -run '^$' -bench AnalyzeForRecognize -benchtime 2x -cpu 1
// (FACEGATE_BENCH_DETECTOR=aggressive for the aggressive mode).
func BenchmarkAnalyzeForRecognize(b *testing.B) {
	dir := os.Getenv("FACEGATE_FACES_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data", "faces")
	}
	lfw, _ := filepath.Glob(filepath.Join(dir, "recognition", "lfw", "images", "A*", "*_0001.jpg"))
	crowd, _ := filepath.Glob(filepath.Join(dir, "detection-wider", "images", "*.jpg"))
	sort.Strings(lfw)
	sort.Strings(crowd)
	if len(lfw) < 20 || len(crowd) < 20 {
		b.Skip("shared face data not available")
	}
	a, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	opt := service.AnalyzeOptions{Detector: "normal", Describe: true}
	if d := os.Getenv("FACEGATE_BENCH_DETECTOR"); d != "" {
		opt.Detector = d // e.g. aggressive
	}
	for _, set := range []struct {
		name  string
		files []string
	}{{"lfw portraits", lfw[:20]}, {"crowd photos", crowd[:20]}} {
		var data [][]byte
		for _, f := range set.files {
			d, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			data = append(data, d)
		}
		b.Run(set.name, func(b *testing.B) {
			described := 0
			c0, cpuOK := processCPU()
			for b.Loop() {
				described = 0
				for _, d := range data {
					an, err := a.Analyze(context.Background(), d, opt)
					if err != nil {
						b.Fatal(err)
					}
					for _, f := range an.Faces {
						if len(f.Descriptor) > 0 {
							described++
						}
					}
				}
			}
			c1, _ := processCPU()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(data)), "ms/image")
			if cpuOK {
				b.ReportMetric(float64((c1-c0).Microseconds())/1000/float64(b.N*len(data)), "cpu-ms/image")
			}
			b.ReportMetric(float64(described)/float64(len(data)), "described/image")
		})
	}
}
