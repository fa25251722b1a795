package faceapi

import (
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
