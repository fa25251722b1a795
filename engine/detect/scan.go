package detect

import (
	"image"
	"math"
	"sort"

	pigo "github.com/esimov/pigo/core"

	"github.com/facegate/facegate/engine/imageio"
)

// candidate is a clustered face window in working pixels.
type candidate struct {
	row, col, size float64
	q              float32
	angle          float64 // pigo turns of the winning scan (0 = upright)
	// box and cnn are set for a face found by the CNN: its box in original pixels and
	// its score (0…1); row, col and size then place the landmark cascades.
	box image.Rectangle
	cnn float32
	// eyes, when set, are the pupils already located for this window (image-left first).
	eyes *[2][2]float64
}

// scan runs the face cascade upright and at p.angles, clusters each angle's windows and
// merges the angles, keeping the best-scoring angle per face. The result is sorted by
// size, largest first.
func (d *Detector) scan(img *imageio.Image, p params) []candidate {
	w, h := img.GrayWidth, img.GrayHeight
	short := min(w, h)
	minSize := max(p.minAbs, int(p.minFrac*float64(short)))
	if minSize > short {
		return nil
	}
	cp := pigo.CascadeParams{
		MinSize: minSize, MaxSize: short,
		ShiftFactor: p.shift, ScaleFactor: p.scale,
		ImageParams: pigo.ImageParams{Pixels: img.Gray, Rows: h, Cols: w, Dim: img.GrayStride},
	}
	var all []candidate
	all = d.collect(all, cp, 0, p)
	if len(p.angles) > 0 {
		// pigo's rotated classifier clamps sampled columns to Rows-1, so rotated scans see
		// the square padded buffer (Rows = Stride); the padding is zero.
		rp := cp
		rp.ShiftFactor, rp.ScaleFactor = p.rotShift, p.rotScale
		rp.Rows = img.GrayStride
		for _, a := range p.angles {
			all = d.collect(all, rp, a, p)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].q > all[j].q })
	return mergeAngles(d.refine(img, all, p), p.iou)
}

// collect appends the clustered windows of one scan at angle a whose normalised score
// reaches p.minQ/4 (weaker ones are re-scored by refine or dropped).
func (d *Detector) collect(dst []candidate, cp pigo.CascadeParams, a float64, p params) []candidate {
	raw := d.face.RunCascade(cp, a)
	if len(raw) > maxRaw { // bound the quadratic clustering
		sort.Slice(raw, func(i, j int) bool { return raw[i].Q > raw[j].Q })
		raw = raw[:maxRaw]
	}
	norm := density(cp.ShiftFactor, cp.ScaleFactor)
	for _, c := range d.face.ClusterDetections(raw, p.iou) {
		q := c.Q * norm
		if q < p.minQ/4 {
			continue
		}
		dst = append(dst, candidate{row: float64(c.Row), col: float64(c.Col), size: float64(c.Scale), q: q, angle: a})
	}
	return dst
}

// density normalises a cluster score (pigo sums the scores of its windows) to the window
// density of a scan at shift 0.1 and scale 1.1: the number of windows that land on a face
// grows as 1/shift² per size and 1/ln(scale) across sizes. One threshold then fits every
// mode and angle.
func density(shift, scale float64) float32 {
	return float32((shift / 0.1) * (shift / 0.1) * math.Log(scale) / math.Log(1.1))
}

// mergeAngles keeps, among candidates overlapping by more than iou, the best-scoring one
// (so each face keeps its best angle), and drops a candidate lying mostly inside a
// better-scoring one (a window on part of a face).
func mergeAngles(c []candidate, iou float64) []candidate {
	rank := func(x candidate) float32 {
		if x.angle != 0 {
			return x.q / rotatedPenalty
		}
		return x.q
	}
	sort.Slice(c, func(i, j int) bool { return rank(c[i]) > rank(c[j]) })
	kept := c[:0:0]
	for _, x := range c {
		dup := false
		for _, k := range kept {
			if squareIoU(x, k) > iou || covered(x, k) > containMax {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, x)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].size > kept[j].size })
	return kept
}

// rotatedPenalty divides the score of rotated candidates when faces compete for the best
// angle: rotated scans are coarser, so their boxes are looser; an upright window wins
// unless the rotated one scores clearly higher.
const rotatedPenalty = 1.5

// containMax is the largest fraction of a candidate's area that may lie inside a
// better-scoring candidate before it is dropped as a part of that face.
const containMax = 0.6

// covered is the fraction of a's area inside b.
func covered(a, b candidate) float64 {
	return overlap(a, b) / (a.size * a.size)
}

// overlap is the intersection area of two square windows.
func overlap(a, b candidate) float64 {
	ow := math.Min(a.col+a.size/2, b.col+b.size/2) - math.Max(a.col-a.size/2, b.col-b.size/2)
	oh := math.Min(a.row+a.size/2, b.row+b.size/2) - math.Max(a.row-a.size/2, b.row-b.size/2)
	if ow <= 0 || oh <= 0 {
		return 0
	}
	return ow * oh
}

// squareIoU is the intersection over union of two square windows.
func squareIoU(a, b candidate) float64 {
	inter := overlap(a, b)
	return inter / (a.size*a.size + b.size*b.size - inter)
}
