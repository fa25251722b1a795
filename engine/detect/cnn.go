package detect

import (
	"cmp"
	"image"
	"math"
	"slices"

	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/internal/ssd"
)

// cnnParams configure the SSD MobileNet v1 stage of a mode.
type cnnParams struct {
	// minScore keeps SSD boxes scoring above it.
	minScore float32
	// inputSize is the SSD input side (512 is the trained size; an image smaller than it
	// is upsampled, which helps small faces). Below 416 the boxes degrade: a face filling
	// a 256 input comes out as several half-size boxes.
	inputSize int
	// largeSize, when > 0, adds a second pass at this input side whose faces at least
	// largeFace of the image's short side and overlapping no first-pass face are added:
	// upsampled 2× (a 250 px portrait at 512), the SSD misses about 3 % of close-up faces
	// that it finds at 416. Such a face found by both passes takes the box of the pass
	// that resamples the image less (closerToNative; mergeLarge).
	largeSize     int
	largeMinScore float32
	// cascade, when set, runs the pigo face cascade (with these settings) on images where
	// the CNN found no face at all, of any size: cheap insurance for portraits the CNN
	// misses, never run on photos where it found someone (even someone too small to
	// report, as in crowds).
	cascade *params
	// minSide drops boxes whose shorter side is below it (original pixels): too small
	// to landmark or recognise.
	minSide int
	// overlapIoU drops a box whose IoU with a higher-scoring box of the image exceeds
	// it. The SSD's own suppression (face-api's, IoU 0.5) keeps low-scoring boxes that
	// straddle two neighbouring faces, such as a 0.36 box over half of each of two
	// cheek-to-cheek faces, larger than either. On the WIDER set, 0.3 in normal raised
	// precision @IoU .4 from 0.874 to 0.899 at the same recall @IoU .3 (0.808); in
	// aggressive, 0.4 raised it from 0.750 to 0.781 at the same recall (0.886), where 0.3
	// lost one of 193 faces (BENCHMARKS.md, "Overlapping boxes").
	overlapIoU float64
}

// SSD box → pigo window, for the pupil and landmark cascades, which expect pigo's window
// geometry. Measured on LFW centre faces: the pigo window side is about winScale × the
// SSD box height, its centre winShiftY box heights above the box centre (medians over
// 283 of 300 evenly spread LFW images where both found the centre face).
const (
	winScale  = 1.0
	winShiftY = 0.075
)

// maxCNNBoxes bounds the SSD boxes kept per image (face-api's default maxResults).
const maxCNNBoxes = ssd.DefaultMaxResults

// cnnScan runs the SSD passes of p on the whole oriented image and returns its faces as
// candidates; a second pass only adds large faces the first one missed, or gives a large
// face both found the box of the pass nearer the image's own resolution (mergeLarge).
// sawAny reports whether the SSD found any box above its threshold, before the size
// floor.
func (d *Detector) cnnScan(img *imageio.Image, p cnnParams) (cands []candidate, sawAny bool) {
	all := img.Img.Bounds()
	dets, err := d.cnn.Detect(img.Img, all, ssd.Options{MinConfidence: p.minScore, MaxResults: maxCNNBoxes, InputSize: p.inputSize})
	if err != nil {
		return nil, false
	}
	if p.largeSize > 0 {
		extra, err := d.cnn.Detect(img.Img, all, ssd.Options{MinConfidence: p.largeMinScore, MaxResults: maxCNNBoxes, InputSize: p.largeSize})
		if err == nil {
			long := float64(max(img.Width, img.Height))
			dets = mergeLarge(dets, extra, largeFace*float64(min(img.Width, img.Height)), closerToNative(long, p.largeSize, p.inputSize))
		}
	}
	dets = dropOverlapping(dets, p.overlapIoU)
	b := img.Img.Bounds()
	out := make([]candidate, 0, len(dets))
	for _, x := range dets {
		r := image.Rect(int(math.Round(x.X)), int(math.Round(x.Y)), int(math.Round(x.X+x.W)), int(math.Round(x.Y+x.H))).Intersect(b)
		if r.Empty() || min(r.Dx(), r.Dy()) < p.minSide {
			continue
		}
		out = append(out, boxCandidate(img, r.Sub(b.Min), x.Score))
	}
	return out, len(dets) > 0
}

// boxCandidate turns a CNN box (original pixels, origin at the image's top-left) into a
// candidate whose pigo window (working pixels) feeds the landmark cascades.
func boxCandidate(img *imageio.Image, r image.Rectangle, score float32) candidate {
	s := img.Scale
	h := float64(r.Dy())
	size := winScale * h / s
	return candidate{
		row:   (float64(r.Min.Y+r.Max.Y)/2 - winShiftY*h) / s,
		col:   float64(r.Min.X+r.Max.X) / 2 / s,
		size:  size,
		angle: 0,
		box:   r,
		cnn:   score,
	}
}

// pigoBox is the face box describe reports for a pigo candidate, in original pixels.
func pigoBox(img *imageio.Image, c candidate) image.Rectangle {
	s := img.Scale
	side := c.size * boxScale * s
	dr, dc := rot(boxShiftY*c.size, 0, c.angle)
	cx, cy := (c.col+dc)*s, (c.row+dr)*s
	return image.Rect(int(cx-side/2), int(cy-side/2), int(cx+side/2), int(cy+side/2)).Intersect(image.Rect(0, 0, img.Width, img.Height))
}

// boxOverlap reports whether two boxes are the same face: IoU > 0.3, or more than half of
// the smaller one inside the other.
func boxOverlap(a, b image.Rectangle) bool {
	in := a.Intersect(b)
	if in.Empty() {
		return false
	}
	i := float64(in.Dx() * in.Dy())
	aa, ab := float64(a.Dx()*a.Dy()), float64(b.Dx()*b.Dy())
	return i/(aa+ab-i) > 0.3 || i > 0.5*math.Min(aa, ab)
}

// largeFace is the smallest face side, as a fraction of the image's short side, that the
// second pass may add: it is there for faces that fill a small image, which the
// upsampled pass misses; smaller faces are the first pass's job.
const largeFace = 0.12

// mergeLarge merges into main the second-pass detections at least minSide on their
// shorter side: one that overlaps no main detection (boxOverlap) is a new large face and
// is appended; one that overlaps some is dropped, except that when preferExtra it
// replaces, as that face's box and score, the main detection it overlaps most if their
// IoU exceeds sameFaceIoU (a box that merely contains a face, such as a low-scoring
// box over a whole group, replaces nothing). Each main detection is replaced at most once.
func mergeLarge(main, extra []ssd.Detection, minSide float64, preferExtra bool) []ssd.Detection {
	n := len(main)
	replaced := make([]bool, n)
	for _, x := range extra {
		if math.Min(x.W, x.H) < minSide {
			continue
		}
		dup, best, bestIoU := false, -1, sameFaceIoU
		for i, k := range main[:n] {
			if !boxOverlap(detRect(x), detRect(k)) {
				continue
			}
			dup = true
			if iou := boxIoU(detRect(x), detRect(k)); iou > bestIoU {
				best, bestIoU = i, iou
			}
		}
		switch {
		case !dup:
			main = append(main, x)
		case preferExtra && best >= 0 && !replaced[best]:
			main[best], replaced[best] = x, true
		}
	}
	return main
}

// sameFaceIoU is the IoU above which boxes of the two passes are one face's (boxOverlap's
// IoU clause).
const sameFaceIoU = 0.3

// closerToNative reports whether an SSD pass at input side a resamples an image whose
// longer side is long less than a pass at input side b does (the input is the image
// padded to a square of its longer side). The aggressive mode boxes a large face found
// by both of its passes with the pass nearer the image's own resolution: on LFW's 250 px
// portraits the 512 pass (2.05× upsampled) boxes the centre face 1.29× as wide and 1.25×
// as tall as the 416 pass (1.66×; means over 289 images, IoU 0.62 between the two),
// and the landmark net's crop, chosen on the 416 boxes of the normal mode, follows the
// box: with the 416 box the aggressive mode's LFW verification went from 98.83 to
// 99.00 % (BENCHMARKS.md, "LFW verification with the new boxes"). On WIDER's 416 px
// crowds the 512 boxes of the 22 faces concerned fit the annotated boxes better (one
// face fewer at IoU 0.3 of 193): the rule serves the landmarks, not the box's IoU.
func closerToNative(long float64, a, b int) bool {
	if long <= 0 {
		return false
	}
	return math.Abs(math.Log(float64(a)/long)) < math.Abs(math.Log(float64(b)/long))
}

// dropOverlapping is greedy non-maximum suppression over dets: in order of score
// (ties in input order), a detection is kept unless its IoU with a kept one exceeds
// iou. The kept detections keep their input order; iou 0 keeps them all.
func dropOverlapping(dets []ssd.Detection, iou float64) []ssd.Detection {
	if iou <= 0 || len(dets) < 2 {
		return dets
	}
	order := make([]int, len(dets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dets[b].Score, dets[a].Score) })
	kept := make([]bool, len(dets))
	for n, i := range order {
		kept[i] = true
		for _, j := range order[:n] {
			if kept[j] && boxIoU(detRect(dets[i]), detRect(dets[j])) > iou {
				kept[i] = false
				break
			}
		}
	}
	out := make([]ssd.Detection, 0, len(dets))
	for i, x := range dets {
		if kept[i] {
			out = append(out, x)
		}
	}
	return out
}

// detRect is a detection's box, truncated to whole pixels.
func detRect(x ssd.Detection) image.Rectangle {
	return image.Rect(int(x.X), int(x.Y), int(x.X+x.W), int(x.Y+x.H))
}

// boxIoU is the intersection over union of two boxes.
func boxIoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// rollRefine is the smallest roll, in degrees, for which the pupils are searched again
// from start positions turned by that roll.
const rollRefine = 8

// refineRoll places c's landmark window at the face's roll. A CNN box carries no angle,
// and the pupil cascade started at upright positions under-reads strong tilts; so the
// pupils are located once upright, and when the eye line is tilted by more than
// rollRefine degrees, c takes that angle (the cascades then start from rotated
// positions, as for pigo's rotated scans).
func (d *Detector) refineRoll(img *imageio.Image, c *candidate) {
	er, el := d.pupils(img, *c)
	a := turnOf(er, el)
	deg := a * 360
	if deg > 180 {
		deg -= 360
	}
	if math.Abs(deg) >= rollRefine {
		c.angle = a
		return
	}
	c.eyes = &[2][2]float64{er, el} // upright start positions stand: keep their result
}
