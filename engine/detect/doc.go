// Package detect finds faces, their landmarks and head pose in an imageio.Image with the
// pure-Go pigo cascades (github.com/esimov/pigo v1.4.6, embedded from engine/models/pigo).
//
// A Detector parses the cascades once and is safe for concurrent use. Detect scans the
// working-resolution grayscale (long side ≤ 1024 px) with the facefinder cascade upright
// and at a few in-plane angles, clusters the raw windows per angle, keeps the best angle
// per face, then locates the pupils (puploc) and nose and mouth (flploc "lp" cascades) and
// derives roll, yaw and pitch from their geometry. Every coordinate it returns is in pixels
// of the ORIGINAL oriented image. The search parameters (minimum face size relative to the
// image, shift and scale factors, clustering IoU, quality threshold, angles) were chosen by
// measurement with `go run ./tests/bench detect` (see params.go and BENCHMARKS.md).
//
// Per-request work is bounded: the working image is at most 1024×1024, the minimum window
// has a floor, the raw window list and the number of faces that get landmarks are capped.
package detect
