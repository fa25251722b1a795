package faceapi

import (
	"image"
	"runtime"
	"testing"
)

// BenchmarkDescribeChip measures one 150×150 descriptor; compare -cpu 1 with -cpu N.
func BenchmarkDescribeChip(b *testing.B) {
	m := testModels(b)
	c := loadGolden(b)[0]
	img := goldenInput(b, c)
	if _, err := m.DescribeChip(img); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.DescribeChip(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/face")
	_ = runtime.GOMAXPROCS(0)
}

// BenchmarkLandmarks measures one 68-point landmark inference on a 112×112 crop.
func BenchmarkLandmarks(b *testing.B) {
	m := testModels(b)
	c := loadGolden(b)[2]
	img := goldenInput(b, c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.LandmarksRGB(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDescriptor measures Descriptor's whole path (align, chips, net passes) on an
// LFW photo with the options of each detection mode (cpu-ms/face: the process's CPU time,
// with -cpu 1 the work of one face whatever the machine's load). Alternate the two:
// go test -c -o /tmp/faceapi.test ./engine/faceapi, then in turn
// /tmp/faceapi.test -test.run '^$' -test.bench 'Descriptor$/normal' -test.cpu 1 (and /aggressive).
func BenchmarkDescriptor(b *testing.B) {
	m := testModels(b)
	img := lfwPhoto(b, "Aaron_Sorkin", 1)
	lm, err := m.Landmarks(img, image.Rect(70, 75, 180, 185))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		o    Options
	}{{"normal", DefaultOptions}, {"aggressive", AggressiveOptions}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			c0, cpuOK := processCPU()
			for b.Loop() {
				if _, err := m.DescriptorWith(img, lm, c.o); err != nil {
					b.Fatal(err)
				}
			}
			c1, _ := processCPU()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/face")
			if cpuOK {
				b.ReportMetric(float64((c1-c0).Microseconds())/1000/float64(b.N), "cpu-ms/face")
			}
		})
	}
}
