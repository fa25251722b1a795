package detect

import (
	"image"
	"sync"
)

var process struct {
	once sync.Once
	d    *Detector
	err  error
}

// Default returns the process-wide Detector, parsing the embedded cascades on first use.
// Share it: one classifier per process is enough, and it is safe for concurrent use.
func Default() (*Detector, error) {
	process.once.Do(func() { process.d, process.err = New() })
	return process.d, process.err
}

// DetectImage detects faces in an already decoded, upright image with the process-wide
// Detector. It returns nil when the cascades could not be parsed (they are embedded and
// checked by the tests, so this does not happen in a correct build).
func DetectImage(img image.Image, opt Options) []Face {
	d, err := Default()
	if err != nil {
		return nil
	}
	return d.DetectImage(img, opt)
}
