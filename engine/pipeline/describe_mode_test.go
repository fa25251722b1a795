package pipeline

import (
	"context"
	"testing"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/service"
)

// TestAnalyzeDescribesByMode checks which descriptor each detection mode ships on an LFW
// photo: normal describes faces with faceapi.DefaultOptions (2 passes), aggressive with
// faceapi.AggressiveOptions (4 passes), each the same descriptor as faceapi computes on
// that mode's points.
func TestAnalyzeDescribesByMode(t *testing.T) {
	a := newAnalyzer(t)
	data := lfwImage(t, "Aaron_Sorkin", 1)
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode string
		o    faceapi.Options
	}{{"normal", faceapi.DefaultOptions}, {"aggressive", faceapi.AggressiveOptions}} {
		got, err := a.Analyze(context.Background(), data, service.AnalyzeOptions{Detector: c.mode, Describe: true})
		if err != nil {
			t.Fatal(err)
		}
		faces := a.det.Detect(img, detect.Options{Mode: c.mode, MaxFaces: a.opts.MaxFaces})
		if len(faces) == 0 || len(faces) != len(got.Faces) {
			t.Fatalf("%s: %d faces analysed, %d detected", c.mode, len(got.Faces), len(faces))
		}
		lm, err := a.landmarks(img, faces[0])
		if err != nil {
			t.Fatal(err)
		}
		want, err := a.models.DescriptorWith(img.Img, lm, c.o)
		if err != nil {
			t.Fatal(err)
		}
		other, err := a.models.DescriptorWith(img.Img, lm, faceapi.Options{Alignment: faceapi.AlignSimilarity, Flip: true, Ensemble: !c.o.Ensemble})
		if err != nil {
			t.Fatal(err)
		}
		d := got.Faces[0].Descriptor
		if len(d) != 128 {
			t.Fatalf("%s: descriptor of %d values", c.mode, len(d))
		}
		if [128]float32(d) != want {
			t.Errorf("%s: the descriptor is not the one of its options", c.mode)
		}
		if [128]float32(d) == other {
			t.Errorf("%s: the descriptor is the other mode's", c.mode)
		}
	}
}
