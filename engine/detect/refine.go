package detect

import (
	pigo "github.com/esimov/pigo/core"

	"github.com/facegate/facegate/engine/imageio"
)

// refine re-scores uncertain candidates with a dense local scan at their own angle.
//
// The full-image scan is coarse (cheap); a cluster's summed score then depends on how
// many coarse windows happened to land on the face, which is noisy for small faces. For
// each candidate scoring between p.minQ/4 and p.sureQ, refine scans a window of twice its
// size around it at p.denseShift / p.denseScale over sizes 0.75..1.35 of its own, and
// takes the best density-normalised cluster overlapping it as its score (0 when none).
// At most p.maxRefine candidates are refined per scan, best first; the others keep their
// coarse score. It works on sub-slices of the grayscale buffer and allocates no pixels.
func (d *Detector) refine(img *imageio.Image, cands []candidate, p params) []candidate {
	if p.denseShift == 0 {
		return cands
	}
	norm := density(p.denseShift, p.denseScale)
	n := 0
	out := cands[:0]
	for _, c := range cands { // sorted by score, best first
		if c.q >= p.sureQ || c.q < p.minQ/4 || n >= p.maxRefine {
			if c.q >= p.minQ {
				out = append(out, c)
			}
			continue
		}
		n++
		r0, c0 := max(0, int(c.row-c.size)), max(0, int(c.col-c.size))
		r1, c1 := min(img.GrayHeight, int(c.row+c.size)+1), min(img.GrayWidth, int(c.col+c.size)+1)
		cp := pigo.CascadeParams{
			MinSize: max(p.minAbs, int(0.75*c.size)), MaxSize: int(1.35 * c.size),
			ShiftFactor: p.denseShift, ScaleFactor: p.denseScale,
			ImageParams: pigo.ImageParams{Pixels: img.Gray[r0*img.GrayStride+c0:], Rows: r1 - r0, Cols: c1 - c0, Dim: img.GrayStride},
		}
		best := candidate{}
		// For rotated scans pigo clamps sampled columns to Rows-1; the region is square
		// unless clipped by the image border, and every sample stays inside the padded
		// square buffer (rows of the region × stride ≤ what remains of it).
		for _, x := range d.face.ClusterDetections(d.face.RunCascade(cp, c.angle), p.iou) {
			y := candidate{row: float64(x.Row + r0), col: float64(x.Col + c0), size: float64(x.Scale), q: x.Q * norm, angle: c.angle}
			if squareIoU(y, c) > 0.3 && y.q > best.q {
				best = y
			}
		}
		if best.q >= p.minQ {
			out = append(out, best)
		}
	}
	return out
}
