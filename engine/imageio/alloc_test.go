package imageio

import (
	"image"
	"runtime"
	"testing"
)

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

func TestWorkingAllocatesOnlyTheGrayBuffer(t *testing.T) {
	for _, size := range []image.Point{{800, 600}, {4000, 3000}, {6000, 1000}} {
		src := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
		for _, o := range []int{1, 6} {
			var wk Working
			got := allocated(func() { wk = NewWorking(src, o) })
			// The grayscale buffer plus O(working width) scratch, never a copy of the image.
			if limit := uint64(wk.Stride*wk.Stride) + 64<<10; got > limit {
				t.Errorf("%v o=%d: %d bytes allocated, want ≤ %d (gray %d×%d)", size, o, got, limit, wk.Stride, wk.Stride)
			}
		}
	}
}
