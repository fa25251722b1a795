package ssd

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkDetect times one detection on a WIDER photo at several input sides
// (go test ./engine/internal/ssd -run '^$' -bench Detect -cpu 1).
func BenchmarkDetect(b *testing.B) {
	net, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	img := decodePhoto(b, filepath.Join(dataDir(b), "detection-wider", "images", "0_Parade_Parade_0_125.jpg"))
	for _, n := range []int{512, 416, 320} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := net.Detect(img.Img, img.Img.Bounds(), Options{MinConfidence: 0.3, InputSize: n}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
