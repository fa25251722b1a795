package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/engine/imageio"
	models "github.com/facegate/facegate/engine/models/pigo"
)

func TestParseRegressorRefusesBadFiles(t *testing.T) {
	good := models.Puploc
	if _, err := parseRegressor(good); err != nil {
		t.Fatalf("embedded puploc: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)/2],
		"trailing":  append(append([]byte{}, good...), 0),
		"bad shape": {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0},
	} {
		if _, err := parseRegressor(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestDetectIsDeterministic: the same image gives the same landmarks, pose and
// recognizability on every call (pigo's own runner jitters with the global
// math/rand, which made descriptors differ between identical requests).
func TestDetectIsDeterministic(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "faces", "recognition", "lfw", "images", "Abdoulaye_Wade", "Abdoulaye_Wade_0003.jpg")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared face data not available: %v", err)
	}
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	first := d.Detect(img, Options{})
	if len(first) == 0 {
		t.Fatal("no face found")
	}
	for i := 0; i < 5; i++ {
		again := d.Detect(img, Options{})
		if len(again) != len(first) {
			t.Fatalf("run %d: %d faces, first run %d", i, len(again), len(first))
		}
		for j := range first {
			if again[j] != first[j] {
				t.Fatalf("run %d face %d differs:\n%+v\n%+v", i, j, again[j], first[j])
			}
		}
	}
}
