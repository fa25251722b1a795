package ssd

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
)

// goldenFile is one photo run through face-api's SSD by tests/golden/golden.js --ssd.
type goldenFile struct {
	MinConfidence float32 `json:"min_confidence"`
	MaxResults    int     `json:"max_results"`
	Cases         []struct {
		Photo      string `json:"photo"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		RGBSHA256  string `json:"rgb_sha256"`
		Detections []struct {
			X, Y, W, H float64
			Score      float32
		} `json:"detections"`
	} `json:"cases"`
}

// dataDir returns ../shared/data/faces seen from the repository root (found by walking up
// to go.mod), skipping the test when the shared data is absent.
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
	root := filepath.Join(dir, "..", "shared", "data", "faces")
	if _, err := os.Stat(root); err != nil {
		tb.Skipf("shared test data absent: %v", err)
	}
	return root
}

func decodePhoto(t testing.TB, path string) *imageio.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Tolerances (measured: score 1.2e-6, box 5e-5 px). The runtime sums in another order than tfjs (GEMM blocking, batch norm
// folded into a scale and shift), so values differ at float32 rounding level through 28
// layers; a real bug (padding side, layout, prior order, decoding) moves boxes by pixels
// and scores by 1e-2 or more.
const (
	scoreTol = 5e-5
	boxTol   = 5e-3 // pixels
)

func TestGoldenSSD(t *testing.T) {
	root := dataDir(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("golden.json has no cases")
	}
	net, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var worstBox, worstScore float64
	for _, c := range g.Cases {
		t.Run(filepath.Base(c.Photo), func(t *testing.T) {
			img := decodePhoto(t, filepath.Join(root, c.Photo))
			if img.Width != c.Width || img.Height != c.Height {
				t.Fatalf("decoded %dx%d, golden %dx%d", img.Width, img.Height, c.Width, c.Height)
			}
			px := faceapi.ToRGB(img.Img, img.Img.Bounds()).Pix
			b := make([]byte, len(px))
			for i, v := range px {
				b[i] = byte(v)
			}
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != c.RGBSHA256 {
				t.Fatal("decoded pixels differ from those the reference saw")
			}
			got, err := net.Detect(img.Img, img.Img.Bounds(), Options{MinConfidence: g.MinConfidence, MaxResults: g.MaxResults})
			if err != nil {
				t.Fatal(err)
			}
			want := c.Detections
			// A box scoring within the tolerance of the threshold may fall on either side.
			for len(want) > 0 && want[len(want)-1].Score-g.MinConfidence < scoreTol && len(got) < len(want) {
				want = want[:len(want)-1]
			}
			for len(got) > len(want) && got[len(got)-1].Score-g.MinConfidence < scoreTol {
				got = got[:len(got)-1]
			}
			if len(got) != len(want) {
				t.Fatalf("%d detections, want %d", len(got), len(want))
			}
			for i, w := range want {
				d := got[i]
				ds := math.Abs(float64(d.Score - w.Score))
				db := max(math.Abs(d.X-w.X), math.Abs(d.Y-w.Y), math.Abs(d.W-w.W), math.Abs(d.H-w.H))
				worstScore, worstBox = max(worstScore, ds), max(worstBox, db)
				if ds > scoreTol || db > boxTol {
					t.Errorf("detection %d = %+v, want %+v", i, d, w)
				}
			}
		})
	}
	t.Logf("largest differences: score %.2g, box %.2g px", worstScore, worstBox)
}
