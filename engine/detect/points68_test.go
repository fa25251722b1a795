package detect

import (
	"image"
	"math"
	"testing"
)

// frontal returns the four points of an upright frontal face with iod 40 px, its nose
// moved across by dx and down by dy (in iod units) from the mean geometry.
func frontal(dx, dy float64) Face {
	const iod = 40.0
	f := Face{Confidence: 90, Box: rectAround(100, 110, 120)}
	f.EyeRight = Point{X: 80, Y: 100}
	f.EyeLeft = Point{X: 120, Y: 100}
	f.Nose = Point{X: 100 + dx*iod, Y: 100 + (noseDown68+dy)*iod}
	f.Mouth = Point{X: 100, Y: 100 + mouthDown68*iod}
	return f
}

func TestEstimate68Geometry(t *testing.T) {
	f := frontal(0, 0)
	estimate68(&f, 120)
	if math.Abs(f.Yaw) > 0.5 || math.Abs(f.Pitch) > 0.5 || math.Abs(f.Roll) > 0.5 || !f.Recognizable {
		t.Fatalf("mean frontal face: yaw %.1f pitch %.1f roll %.1f recognizable %v", f.Yaw, f.Pitch, f.Roll, f.Recognizable)
	}
	if f.Nose.Confidence != 90 || f.EyeLeft.Confidence != 90 {
		t.Errorf("point confidences %d %d, want the face's 90", f.Nose.Confidence, f.EyeLeft.Confidence)
	}
	right := frontal(0.3, 0)
	estimate68(&right, 120)
	if right.Yaw < 20 || right.Yaw > 40 {
		t.Errorf("nose 0.3 iod to the image's right: yaw %.1f, want about +31", right.Yaw)
	}
	up := frontal(0, -0.2)
	estimate68(&up, 120)
	if up.Pitch <= 5 {
		t.Errorf("nose nearer the eyes: pitch %.1f, want > 5 (looking up)", up.Pitch)
	}
	profile := frontal(0.6, 0)
	estimate68(&profile, 120)
	if profile.Recognizable || profile.Nose.Confidence >= 90 {
		t.Errorf("nose 0.6 iod off the midline: yaw %.1f recognizable %v nose confidence %d", profile.Yaw, profile.Recognizable, profile.Nose.Confidence)
	}
	small := frontal(0, 0)
	estimate68(&small, minRecognizableSide-1)
	weak := frontal(0, 0)
	weak.Confidence = minRecognizableScore - 1
	estimate68(&weak, 120)
	if small.Recognizable || weak.Recognizable {
		t.Errorf("recognizable: small face %v, weak detection %v", small.Recognizable, weak.Recognizable)
	}
	// A face turned by 30° in the image plane.
	tilted := frontal(0, 0)
	s, c := math.Sincos(30 * math.Pi / 180)
	for _, p := range []*Point{&tilted.EyeLeft, &tilted.EyeRight, &tilted.Nose, &tilted.Mouth} {
		dx, dy := p.X-100, p.Y-100
		p.X, p.Y = 100+dx*c-dy*s, 100+dx*s+dy*c
	}
	estimate68(&tilted, 120)
	if math.Abs(tilted.Roll-30) > 0.5 || math.Abs(tilted.Yaw) > 0.5 || math.Abs(tilted.Pitch) > 0.5 {
		t.Errorf("rolled 30°: roll %.1f yaw %.1f pitch %.1f", tilted.Roll, tilted.Yaw, tilted.Pitch)
	}
}

func rectAround(cx, cy, side int) image.Rectangle {
	return image.Rect(cx-side/2, cy-side/2, cx+side/2, cy+side/2)
}
