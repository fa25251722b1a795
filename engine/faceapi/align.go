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
	// AlignDlib fits the similarity on the 33 points dlib's get_face_chip_details(shape,
	// 150, 0.25) uses for a 68-point shape (nose, eyes, upper lip: points 27–54 and
	// 60–64) against dlib's mean face shape: the chips dlib's ResNet was trained on.
	// On LFW it measured within the noise of AlignSimilarity and is not the default;
	// AggressiveOptions averages its chip with AlignSimilarity's (BENCHMARKS.md, "detect:
	// CNN modes").
	AlignDlib
)

// template holds the canonical 150×150 chip positions of the eye centres, nose tip and
// mouth corners. They are derived from dlib's mean face shape as used by its
// get_face_chip_details(shape, 150, 0.25), the chips dlib's ResNet descriptor was trained on.
var template = [5]Point{
	{47.549, 46.599}, {100.476, 46.599}, {74.013, 76.563}, {50.415, 103.023}, {97.610, 103.023},
}

// dlibMeanShape holds points 17–67 of dlib's mean face shape (x, y in the unit square) as
// get_face_chip_details (dlib/image_transforms/interpolation.h) lists them.
var dlibMeanShape = [51][2]float64{
	{0.000213256, 0.106454}, {0.0752622, 0.038915}, {0.18113, 0.0187482}, {0.29077, 0.0344891},
	{0.393397, 0.0773906}, {0.586856, 0.0773906}, {0.689483, 0.0344891}, {0.799124, 0.0187482},
	{0.904991, 0.038915}, {0.98004, 0.106454}, {0.490127, 0.203352}, {0.490127, 0.307009},
	{0.490127, 0.409805}, {0.490127, 0.515625}, {0.36688, 0.587326}, {0.426036, 0.609345},
	{0.490127, 0.628106}, {0.554217, 0.609345}, {0.613373, 0.587326}, {0.121737, 0.216423},
	{0.187122, 0.178758}, {0.265825, 0.179852}, {0.334606, 0.231733}, {0.260918, 0.245099},
	{0.182743, 0.244077}, {0.645647, 0.231733}, {0.714428, 0.179852}, {0.793132, 0.178758},
	{0.858516, 0.216423}, {0.79751, 0.244077}, {0.719335, 0.245099}, {0.254149, 0.780233},
	{0.340985, 0.745405}, {0.428858, 0.727388}, {0.490127, 0.742578}, {0.551395, 0.727388},
	{0.639268, 0.745405}, {0.726104, 0.780233}, {0.642159, 0.864805}, {0.556721, 0.902192},
	{0.490127, 0.909281}, {0.423532, 0.902192}, {0.338094, 0.864805}, {0.290379, 0.784792},
	{0.428096, 0.778746}, {0.490127, 0.785343}, {0.552157, 0.778746}, {0.689874, 0.784792},
	{0.553364, 0.824182}, {0.490127, 0.831803}, {0.42689, 0.824182},
}

// dlibIndices are the landmarks AlignDlib fits: all of 27–67 but the lower lip (55–59,
// 65–67), as dlib skips the jaw, the brows and the lower lip.
var dlibIndices = func() (idx []int) {
	for i := 27; i < 68; i++ {
		if (i >= 55 && i <= 59) || i >= 65 {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}()

// dlibTemplate is dlibIndices' points on the 150×150 chip: (0.25 + mean)/1.5 × 150.
var dlibTemplate = func() []Point {
	out := make([]Point, len(dlibIndices))
	for k, i := range dlibIndices {
		m := dlibMeanShape[i-17]
		out[k] = Point{(0.25 + m[0]) / 1.5 * ChipSize, (0.25 + m[1]) / 1.5 * ChipSize}
	}
	return out
}()

// chipFit returns the chip → image similarity of alignment al for landmarks lm.
func chipFit(lm *[68]Point, al Alignment) (similarity, bool) {
	if al == AlignDlib {
		p := make([]Point, len(dlibIndices))
		for k, i := range dlibIndices {
			p[k] = lm[i]
		}
		return fitSimilarity(dlibTemplate, p)
	}
	p := fivePoints(lm)
	return fitSimilarity(template[:], p[:])
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
	return alignedChip(src, lm, AlignSimilarity)
}

// alignedChip is AlignedChip with the similarity of alignment al.
func alignedChip(src *RGB, lm [68]Point, al Alignment) (*RGB, error) {
	// Map chip → image directly, so each chip pixel looks up its source position.
	t, ok := chipFit(&lm, al)
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
