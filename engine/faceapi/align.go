package faceapi

import (
	"fmt"
	"image"
	"math"
)

// Alignment selects how the descriptor chip is cut from the image.
type Alignment int

const (
	// AlignSimilarity warps the face with a least-squares similarity transform (rotation,
	// uniform scale, translation) that maps five landmark points (eye centres, nose tip,
	// mouth corners) onto a canonical frontal template. It measured better on LFW.
	AlignSimilarity Alignment = iota
	// AlignCrop is face-api's crop-only chip (no rotation), kept for parity with it.
	AlignCrop
)

// template holds the canonical 150×150 chip positions of the eye centres, nose tip and
// mouth corners. They are derived from dlib's mean face shape as used by its
// get_face_chip_details(shape, 150, 0.25), the chips dlib's ResNet descriptor was trained on.
var template = [5]Point{
	{47.549, 46.599}, {100.476, 46.599}, {74.013, 76.563}, {50.415, 103.023}, {97.610, 103.023},
}

// fivePoints picks the template's points from 68 landmarks.
func fivePoints(lm *[68]Point) [5]Point {
	l, r, _ := centres(lm)
	return [5]Point{l, r, lm[30], lm[48], lm[54]}
}

// similarity is x' = a·x − b·y + tx, y' = b·x + a·y + ty.
type similarity struct{ a, b, tx, ty float64 }

func (s similarity) apply(p Point) Point {
	return Point{s.a*p.X - s.b*p.Y + s.tx, s.b*p.X + s.a*p.Y + s.ty}
}

// fitSimilarity returns the least-squares similarity mapping src onto dst.
func fitSimilarity(src, dst []Point) (similarity, bool) {
	var ms, md Point
	for i := range src {
		ms.X += src[i].X
		ms.Y += src[i].Y
		md.X += dst[i].X
		md.Y += dst[i].Y
	}
	n := float64(len(src))
	ms = Point{ms.X / n, ms.Y / n}
	md = Point{md.X / n, md.Y / n}
	var sxx, sab, sba float64
	for i := range src {
		x, y := src[i].X-ms.X, src[i].Y-ms.Y
		u, v := dst[i].X-md.X, dst[i].Y-md.Y
		sxx += x*x + y*y
		sab += x*u + y*v
		sba += x*v - y*u
	}
	if !(sxx > 1e-9) {
		return similarity{}, false
	}
	a, b := sab/sxx, sba/sxx
	return similarity{a: a, b: b, tx: md.X - (a*ms.X - b*ms.Y), ty: md.Y - (b*ms.X + a*ms.Y)}, true
}

// AlignedChip warps the face to the 150×150 descriptor chip with a similarity transform
// fitted from the landmarks, sampling bilinearly (averaging several samples per chip pixel
// when the face is much larger than the chip). Pixels outside the image are black.
func AlignedChip(src *RGB, lm [68]Point) (*RGB, error) {
	p := fivePoints(&lm)
	// Map chip → image directly, so each chip pixel looks up its source position.
	t, ok := fitSimilarity(template[:], p[:])
	if !ok {
		return nil, fmt.Errorf("align: degenerate landmarks")
	}
	scale := math.Hypot(t.a, t.b) // image pixels per chip pixel
	if scale > 64 || scale < 1.0/64 {
		return nil, fmt.Errorf("align: face scale out of range")
	}
	k := max(1, int(math.Ceil(scale-0.25)))
	out := &RGB{W: ChipSize, H: ChipSize, Pix: make([]float32, ChipSize*ChipSize*3)}
	inv := 1 / float64(k*k)
	for v := 0; v < ChipSize; v++ {
		for u := 0; u < ChipSize; u++ {
			var acc [3]float64
			for sy := 0; sy < k; sy++ {
				for sx := 0; sx < k; sx++ {
					cu := float64(u) + (float64(sx)+0.5)/float64(k) - 0.5
					cv := float64(v) + (float64(sy)+0.5)/float64(k) - 0.5
					q := t.apply(Point{cu, cv})
					bilinear(src, q.X, q.Y, &acc)
				}
			}
			o := (v*ChipSize + u) * 3
			for c := range 3 {
				out.Pix[o+c] = float32(acc[c] * inv)
			}
		}
	}
	return out, nil
}

// bilinear adds the bilinearly interpolated colour at (x, y) to acc; outside is black.
func bilinear(m *RGB, x, y float64, acc *[3]float64) {
	x0f, y0f := math.Floor(x), math.Floor(y)
	fx, fy := x-x0f, y-y0f
	x0, y0 := int(x0f), int(y0f)
	for dy := 0; dy < 2; dy++ {
		yy := y0 + dy
		wy := fy
		if dy == 0 {
			wy = 1 - fy
		}
		if yy < 0 || yy >= m.H || wy == 0 {
			continue
		}
		for dx := 0; dx < 2; dx++ {
			xx := x0 + dx
			wx := fx
			if dx == 0 {
				wx = 1 - fx
			}
			if xx < 0 || xx >= m.W || wx == 0 {
				continue
			}
			w := wx * wy
			i := (yy*m.W + xx) * 3
			acc[0] += w * float64(m.Pix[i])
			acc[1] += w * float64(m.Pix[i+1])
			acc[2] += w * float64(m.Pix[i+2])
		}
	}
}

// CropChipRect is face-api's descriptor crop (MODELS.md §2.2) for landmarks in image
// pixels, before clipping: a square of side floor(d/0.45), d the mean eye–mouth distance,
// placed around the mean of the eye and mouth centres.
func CropChipRect(lm [68]Point) image.Rectangle {
	l, r, mo := centres(&lm)
	d := (math.Hypot(mo.X-l.X, mo.Y-l.Y) + math.Hypot(mo.X-r.X, mo.Y-r.Y)) / 2
	size := int(math.Floor(d / 0.45))
	ref := Point{(l.X + r.X + mo.X) / 3, (l.Y + r.Y + mo.Y) / 3}
	x := int(math.Floor(math.Max(0, ref.X-0.5*float64(size))))
	y := int(math.Floor(math.Max(0, ref.Y-0.43*float64(size))))
	return image.Rect(x, y, x+size, y+size)
}
