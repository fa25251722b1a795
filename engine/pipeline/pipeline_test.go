package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// lfwImage reads one LFW photo from ../shared/data/faces, seen from the repo root.
func lfwImage(t *testing.T, person string, n int) []byte {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", "faces", "recognition", "lfw", "images", person,
		person+"_000"+string(rune('0'+n))+".jpg")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared face data not available: %v", err)
	}
	return b
}

func newAnalyzer(t *testing.T) *Analyzer {
	t.Helper()
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAnalyzeLFWFace(t *testing.T) {
	a := newAnalyzer(t)
	got, err := a.Analyze(context.Background(), lfwImage(t, "Aaron_Sorkin", 1),
		service.AnalyzeOptions{Describe: true, AllPoints: true, Attributes: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 250 || got.Height != 250 || len(got.Faces) == 0 {
		t.Fatalf("%dx%d with %d faces", got.Width, got.Height, len(got.Faces))
	}
	f := got.Faces[0]
	if f.CenterX < 35 || f.CenterX > 65 || f.CenterY < 35 || f.CenterY > 65 {
		t.Errorf("largest face centred at (%.1f, %.1f)%%, want near the image centre", f.CenterX, f.CenterY)
	}
	if f.EyeLeft.X <= f.EyeRight.X || f.EyeLeft.ID != 449 || f.EyeRight.ID != 450 || f.Nose.ID != 403 || f.Mouth.ID != 615 {
		t.Errorf("points: eye_left %+v eye_right %+v nose %+v mouth %+v", f.EyeLeft, f.EyeRight, f.Nose, f.Mouth)
	}
	if !f.Recognizable || len(f.Descriptor) != 128 {
		t.Errorf("recognizable %v, descriptor of %d values", f.Recognizable, len(f.Descriptor))
	}
	if len(f.Points) != 68 || f.Points[0].ID != 0x0300 || f.Points[67].ID != 0x0343 {
		t.Errorf("%d extra points", len(f.Points))
	}
	if f.Attributes["face"].Value != "true" || f.Attributes["gender"].Value != "male" {
		t.Errorf("attributes %v (Aaron Sorkin: a man's face)", f.Attributes)
	}
	for name, at := range f.Attributes {
		if at.Confidence < 0 || at.Confidence > 100 {
			t.Errorf("%s confidence %d out of 0..100", name, at.Confidence)
		}
	}
}

func TestAnalyzeOnlyComputesWhatIsAsked(t *testing.T) {
	a := newAnalyzer(t)
	got, err := a.Analyze(context.Background(), lfwImage(t, "Aaron_Sorkin", 1), service.AnalyzeOptions{Attributes: []string{"none"}})
	if err != nil || len(got.Faces) == 0 {
		t.Fatalf("%v, %+v", err, got)
	}
	f := got.Faces[0]
	if f.Descriptor != nil || f.Points != nil || len(f.Attributes) != 1 {
		t.Errorf("descriptor %d, points %d, attributes %v: computed without being asked", len(f.Descriptor), len(f.Points), f.Attributes)
	}
}

func TestAnalyzeRefusesBadImages(t *testing.T) {
	a, err := New(Options{MaxPixels: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var big bytes.Buffer
	if err := png.Encode(&big, image.NewGray(image.Rect(0, 0, 100, 100))); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		data   []byte
		status int
	}{
		"not an image":    {[]byte("hello, world"), 0},
		"JPEG 2000":       {[]byte{0, 0, 0, 0x0c, 'j', 'P', ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a}, 0},
		"over max pixels": {big.Bytes(), skyerr.StatusTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := a.Analyze(context.Background(), c.data, service.AnalyzeOptions{})
			if !errors.Is(err, service.ErrImageDecode) {
				t.Fatalf("err = %v, want ErrImageDecode", err)
			}
			var se *skyerr.Error
			if !errors.As(err, &se) || se.Code != 20 {
				t.Fatalf("err = %v, want SkyBiometry error 20", err)
			}
			if c.status != 0 && se.HTTPStatus != c.status {
				t.Errorf("HTTP status %d, want %d", se.HTTPStatus, c.status)
			}
		})
	}
}

func TestAttributeSet(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, []string{"face", "gender", "smiling"}},
		{[]string{"none"}, []string{"face"}},
		{[]string{"all"}, []string{"face", "gender", "smiling", "age_est", "mood", "lips", "eyes"}},
		{[]string{"mood"}, []string{"face", "mood"}},
	}
	for _, tt := range tests {
		got := attributeSet(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("attributeSet(%v) = %v, want %v", tt.in, got, tt.want)
		}
		for _, w := range tt.want {
			if !got[w] {
				t.Errorf("attributeSet(%v) lacks %s", tt.in, w)
			}
		}
	}
}
