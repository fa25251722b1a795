package faceapi

import (
	"image"
	"math"
	"testing"
)

// synthLandmarks places the template's five points through a known similarity (angle,
// scale, shift) and fills the 68 landmarks so that fivePoints recovers exactly them.
func synthLandmarks(angle, scale, tx, ty float64) ([68]Point, similarity) {
	s := similarity{a: scale * math.Cos(angle), b: scale * math.Sin(angle), tx: tx, ty: ty}
	var lm [68]Point
	for i := 36; i < 42; i++ {
		lm[i] = s.apply(template[0])
	}
	for i := 42; i < 48; i++ {
		lm[i] = s.apply(template[1])
	}
	lm[30] = s.apply(template[2])
	for i := 48; i < 68; i++ {
		lm[i] = s.apply(Point{(template[3].X + template[4].X) / 2, template[3].Y})
	}
	lm[48] = s.apply(template[3])
	lm[54] = s.apply(template[4])
	return lm, s
}

func TestFitSimilarityRecoversTransform(t *testing.T) {
	cases := []struct {
		name                 string
		angle, scale, tx, ty float64
	}{
		{"identity", 0, 1, 0, 0},
		{"rotated 20°", 20 * math.Pi / 180, 1.3, 40, -12},
		{"rotated -35°, small", -35 * math.Pi / 180, 0.4, 5, 300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lm, want := synthLandmarks(c.angle, c.scale, c.tx, c.ty)
			p := fivePoints(&lm)
			got, ok := fitSimilarity(template[:], p[:])
			if !ok {
				t.Fatal("fit failed")
			}
			for _, v := range []float64{got.a - want.a, got.b - want.b, got.tx - want.tx, got.ty - want.ty} {
				if math.Abs(v) > 1e-9 {
					t.Fatalf("fit %+v, want %+v", got, want)
				}
			}
		})
	}
	if _, ok := fitSimilarity(make([]Point, 5), template[:]); ok {
		t.Error("degenerate (all points equal) fit reported ok")
	}
}

// TestAlignedChipUndoesRotation draws a rotated pattern whose landmarks are known and
// checks that the chip samples the pattern back in canonical position.
func TestAlignedChipUndoesRotation(t *testing.T) {
	lm, s := synthLandmarks(25*math.Pi/180, 1.6, 60, 20)
	// Image: colour encodes chip coordinates, so each chip pixel should read its own (u, v).
	img := &RGB{W: 400, H: 400, Pix: make([]float32, 400*400*3)}
	inv := similarity{}
	det := s.a*s.a + s.b*s.b
	inv.a, inv.b = s.a/det, -s.b/det
	inv.tx = -(inv.a*s.tx - inv.b*s.ty)
	inv.ty = -(inv.b*s.tx + inv.a*s.ty)
	for y := range 400 {
		for x := range 400 {
			q := inv.apply(Point{float64(x), float64(y)})
			img.Pix[(y*400+x)*3] = float32(q.X)
			img.Pix[(y*400+x)*3+1] = float32(q.Y)
		}
	}
	chip, err := AlignedChip(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	for _, uv := range [][2]int{{20, 30}, {75, 75}, {130, 120}} {
		u, v := uv[0], uv[1]
		gx, gy := chip.At(u, v, 0), chip.At(u, v, 1)
		if math.Abs(float64(gx)-float64(u)) > 0.05 || math.Abs(float64(gy)-float64(v)) > 0.05 {
			t.Errorf("chip(%d,%d) samples (%.2f,%.2f)", u, v, gx, gy)
		}
	}
}

func TestCropChipRect(t *testing.T) {
	var lm [68]Point
	for i := 36; i < 42; i++ {
		lm[i] = Point{100, 100}
	}
	for i := 42; i < 48; i++ {
		lm[i] = Point{140, 100}
	}
	for i := 48; i < 68; i++ {
		lm[i] = Point{120, 145}
	}
	// d = hypot(20, 45) ≈ 49.24 → size 109; ref = (120, 115).
	got := CropChipRect(lm)
	want := image.Rect(65, 68, 65+109, 68+109)
	if got != want {
		t.Errorf("CropChipRect = %v, want %v", got, want)
	}
}

func TestAlignedRect(t *testing.T) {
	var lm [68]Point
	for i := range lm {
		lm[i] = Point{50 + float64(i%10)*10, 40 + float64(i/10)*10} // bbox (50,40)-(140,100)
	}
	cases := []struct {
		name   string
		bounds image.Rectangle
		want   image.Rectangle
	}{
		{"inside", image.Rect(0, 0, 300, 300), image.Rect(41, 34, 149, 106)},
		{"clipped", image.Rect(0, 0, 120, 90), image.Rect(41, 34, 120, 90)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := AlignedRect(lm, c.bounds); got != c.want {
				t.Errorf("AlignedRect = %v, want %v", got, c.want)
			}
		})
	}
}

// TestAlignDlibRecoversTransform places dlib's 33 chip points through a known similarity
// and checks that AlignDlib's fit recovers it, and that the five-point fit would not
// (its template is another set of points), so the two alignments differ.
func TestAlignDlibRecoversTransform(t *testing.T) {
	s := similarity{a: 1.4 * math.Cos(0.3), b: 1.4 * math.Sin(0.3), tx: 30, ty: -8}
	var lm [68]Point
	for i := range lm {
		lm[i] = Point{math.NaN(), math.NaN()} // points the fit must not read
	}
	for k, i := range dlibIndices {
		lm[i] = s.apply(dlibTemplate[k])
	}
	if len(dlibIndices) != 33 {
		t.Fatalf("%d fitted points, want dlib's 33", len(dlibIndices))
	}
	got, ok := chipFit(&lm, AlignDlib)
	if !ok {
		t.Fatal("fit failed")
	}
	for _, v := range []float64{got.a - s.a, got.b - s.b, got.tx - s.tx, got.ty - s.ty} {
		if math.Abs(v) > 1e-9 {
			t.Fatalf("fit %+v, want %+v", got, s)
		}
	}
	// dlib's eye centres on the chip are the five-point template's.
	l, r := meanOf(dlibTemplate[9:15]), meanOf(dlibTemplate[15:21])
	if math.Hypot(l.X-template[0].X, l.Y-template[0].Y) > 0.01 || math.Hypot(r.X-template[1].X, r.Y-template[1].Y) > 0.01 {
		t.Errorf("dlib eye centres %v %v, five-point template %v %v", l, r, template[0], template[1])
	}
}
