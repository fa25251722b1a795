package faceapi

import (
	"fmt"
	"image"
	"runtime"
	"sync"
)

// Face is one face of a batch: the image it is in and its 68 landmarks (image pixels).
type Face struct {
	Image     image.Image
	Landmarks [68]Point
}

// Descriptors computes the descriptors of several faces (default alignment), one goroutine
// per core. out[i] belongs to faces[i]; the first error stops nothing but is returned.
func (m *Models) Descriptors(faces []Face) ([][128]float32, error) {
	out := make([][128]float32, len(faces))
	errs := make([]error, len(faces))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(faces)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = m.Descriptor(faces[i].Image, faces[i].Landmarks)
			}
		}()
	}
	for i := range faces {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return out, fmt.Errorf("face %d: %w", i, err)
		}
	}
	return out, nil
}
