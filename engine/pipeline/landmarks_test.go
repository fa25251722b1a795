package pipeline

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/service"
)

// The CNN modes place every face's points with the landmark net, and the Analyzer
// reuses them: the 68 points it returns are the detector's, and the four named points
// are their eye, nose and mouth centres.
func TestCNNModesUseLandmarkNet(t *testing.T) {
	a := newAnalyzer(t)
	det, err := Detector()
	if err != nil {
		t.Fatal(err)
	}
	people := []string{"Aaron_Sorkin", "Abdullah_Gul", "Adam_Sandler", "Al_Pacino", "Al_Sharpton", "Alan_Ball", "Andre_Agassi"}
	recognizable := 0
	for _, person := range people {
		data := lfwImage(t, person, 1)
		img, err := imageio.Decode(data, imageio.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"normal", "aggressive"} {
			faces := det.Detect(img, detect.Options{Mode: mode})
			if len(faces) == 0 {
				t.Errorf("%s, %s: no face", person, mode)
				continue
			}
			f := faces[0]
			if f.Landmarks == nil {
				t.Errorf("%s, %s: the landmark net did not place the points", person, mode)
				continue
			}
			in := f.Box.Inset(-f.Box.Dx() / 4)
			for name, p := range map[string]detect.Point{"eye_left": f.EyeLeft, "eye_right": f.EyeRight, "nose": f.Nose, "mouth": f.Mouth} {
				if !image.Pt(int(p.X), int(p.Y)).In(in) {
					t.Errorf("%s, %s: %s %+v outside %v", person, mode, name, p, f.Box)
				}
			}
			if !(f.EyeLeft.X > f.EyeRight.X && f.EyeLeft.Y < f.Nose.Y && f.Nose.Y < f.Mouth.Y) {
				t.Errorf("%s, %s: eyes %v %v nose %v mouth %v out of order", person, mode, f.EyeLeft, f.EyeRight, f.Nose, f.Mouth)
			}
			if mode == "normal" && f.Recognizable {
				recognizable++
			}
		}
		if faces := det.Detect(img, detect.Options{Mode: "cascade"}); len(faces) > 0 && faces[0].Landmarks != nil {
			t.Errorf("%s: the cascade mode used the landmark net", person)
		}
		got, err := a.Analyze(context.Background(), data, service.AnalyzeOptions{AllPoints: true})
		if err != nil || len(got.Faces) == 0 {
			t.Fatalf("%s: %v", person, err)
		}
		sf, f := got.Faces[0], det.Detect(img, detect.Options{})[0]
		for i, p := range sf.Points {
			if math.Abs(p.X-round2(100*f.Landmarks[i].X/250)) > 0.011 || math.Abs(p.Y-round2(100*f.Landmarks[i].Y/250)) > 0.011 {
				t.Fatalf("%s: point %d at (%.2f, %.2f)%%, the detector's at (%.2f, %.2f) px", person, i, p.X, p.Y, f.Landmarks[i].X, f.Landmarks[i].Y)
			}
		}
	}
	if recognizable < len(people)-1 {
		t.Errorf("%d of %d frontal LFW faces recognizable in normal mode", recognizable, len(people))
	}
}

// A face turned in the image plane keeps its points and its roll.
func TestLandmarkNetFollowsRoll(t *testing.T) {
	det, err := Detector()
	if err != nil {
		t.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(lfwImage(t, "Adam_Sandler", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, deg := range []float64{-20, 20} {
		faces := det.DetectImage(rotated(src, deg), detect.Options{})
		if len(faces) == 0 {
			t.Fatalf("rotated %v°: no face", deg)
		}
		if r := faces[0].Roll; math.Abs(r-deg) > 8 {
			t.Errorf("rotated %v°: roll %.1f", deg, r)
		}
	}
}

// rotated returns m turned by deg degrees clockwise about its centre (nearest
// neighbour, grey outside).
func rotated(m image.Image, deg float64) image.Image {
	b := m.Bounds()
	out := image.NewRGBA(b)
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := int(cx+dx*c+dy*s), int(cy-dx*s+dy*c)
			if sx >= 0 && sy >= 0 && sx < b.Dx() && sy < b.Dy() {
				out.Set(x, y, m.At(b.Min.X+sx, b.Min.Y+sy))
			} else {
				out.Set(x, y, image.NewUniform(image.Black).C)
			}
		}
	}
	return out
}
