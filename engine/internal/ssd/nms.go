package ssd

// nmsIoU is the overlap above which face-api's SSD drops the lower-scoring box.
const nmsIoU = 0.5

// iou is the intersection over union of two candidates in normalised coordinates; it is 0
// when either box has no area (corners are taken in either order, as face-api does).
func iou(a, b candidate) float64 {
	ay0, ay1 := minmax(a.ymin, a.ymax)
	ax0, ax1 := minmax(a.xmin, a.xmax)
	by0, by1 := minmax(b.ymin, b.ymax)
	bx0, bx1 := minmax(b.xmin, b.xmax)
	areaA := (ay1 - ay0) * (ax1 - ax0)
	areaB := (by1 - by0) * (bx1 - bx0)
	if areaA <= 0 || areaB <= 0 {
		return 0
	}
	ih := max(min(ay1, by1)-max(ay0, by0), 0)
	iw := max(min(ax1, bx1)-max(ax0, bx0), 0)
	inter := ih * iw
	return inter / (areaA + areaB - inter)
}

func minmax(a, b float32) (float64, float64) {
	if a > b {
		a, b = b, a
	}
	return float64(a), float64(b)
}

// suppress keeps, in descending score order, each candidate whose IoU with every kept
// one is at most nmsIoU, up to maxResults of them. cands must be sorted by score.
func suppress(cands []candidate, maxResults int) []candidate {
	kept := cands[:0]
	for _, c := range cands {
		if len(kept) >= maxResults {
			break
		}
		ok := true
		for _, k := range kept {
			if iou(c, k) > nmsIoU {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, c)
		}
	}
	return kept
}
