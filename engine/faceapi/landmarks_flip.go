package faceapi

import (
	"fmt"
	"image"
)

// mirror68 maps each of the 68 iBUG points to the point that takes its place on the
// left-right mirror image of the face (jaw, brows, eyes, nostrils and mouth swap sides;
// the points on the midline map to themselves).
var mirror68 = func() [68]int {
	var m [68]int
	for i := range m {
		m[i] = i
	}
	pair := func(a, b int) { m[a], m[b] = b, a }
	for i := 0; i <= 7; i++ {
		pair(i, 16-i) // jaw
	}
	for i := 17; i <= 21; i++ {
		pair(i, 43-i) // brows 17–21 ↔ 26–22
	}
	pair(31, 35) // nostrils
	pair(32, 34)
	for _, p := range [][2]int{{36, 45}, {37, 44}, {38, 43}, {39, 42}, {40, 47}, {41, 46}} {
		pair(p[0], p[1]) // eyes
	}
	for _, p := range [][2]int{{48, 54}, {49, 53}, {50, 52}, {55, 59}, {56, 58}, {60, 64}, {61, 63}, {65, 67}} {
		pair(p[0], p[1]) // mouth
	}
	return m
}()

// LandmarksFlip is Landmarks averaged with LandmarksMirrored on the same box (test-time
// flip): each point is the mean of its own estimate and its mirror partner's estimate on
// the mirrored face. It costs a second pass of the landmark net; on LFW, descriptors
// aligned on these points measured within the noise of one pass (BENCHMARKS.md, "detect:
// CNN modes"), so the pipeline does not use it.
func (m *Models) LandmarksFlip(img image.Image, box image.Rectangle) ([68]Point, error) {
	plain, err := m.Landmarks(img, box)
	if err != nil {
		return plain, err
	}
	mirrored, err := m.LandmarksMirrored(img, box)
	if err != nil {
		return plain, err
	}
	return MeanLandmarks(plain, mirrored), nil
}

// LandmarksMirrored runs the landmark net on the left-right mirror image of the net input
// Landmarks builds for box and returns its points mapped back onto img, each under its
// own index (the net's estimate of point i is its mirror partner's on the mirrored face).
func (m *Models) LandmarksMirrored(img image.Image, box image.Rectangle) ([68]Point, error) {
	var pts [68]Point
	r := box.Canon().Intersect(img.Bounds())
	if r.Empty() {
		return pts, fmt.Errorf("landmarks: %w", errEmpty)
	}
	a := m.arena()
	defer m.release(a)
	x := imageInput(a, img, r, FaceNetSize)
	// Mirror the net input in place: column c takes column n−1−c.
	n := FaceNetSize
	for y := 0; y < n; y++ {
		row := x.Data[y*n*3 : (y+1)*n*3]
		for c := 0; c < n/2; c++ {
			i, j := c*3, (n-1-c)*3
			for k := 0; k < 3; k++ {
				row[i+k], row[j+k] = row[j+k], row[i+k]
			}
		}
	}
	mp, err := m.landmarks68(a, x, r.Dx(), r.Dy())
	if err != nil {
		return pts, err
	}
	// Input column c of the mirrored input holds the padded square's position
	// ratio·(n−1−c) (legacy resize, ratio = side/n), so a point the net places at crop x
	// on the mirror image lies at (w − ratio) − x on the face's own crop.
	w := float64(r.Dx())
	ratio := float64(max(r.Dx(), r.Dy())) / float64(n)
	for i := range pts {
		q := mp[mirror68[i]]
		pts[i] = Point{float64(r.Min.X) + w - ratio - q.X, float64(r.Min.Y) + q.Y}
	}
	return pts, nil
}

// MeanLandmarks returns the point-by-point mean of two estimates of the same 68 points.
func MeanLandmarks(a, b [68]Point) [68]Point {
	var out [68]Point
	for i := range out {
		out[i] = Point{(a[i].X + b[i].X) / 2, (a[i].Y + b[i].Y) / 2}
	}
	return out
}
