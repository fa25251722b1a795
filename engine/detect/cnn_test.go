package detect

import (
	"bufio"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// widerFaces reads the scored faces of detection-wider/boxes.txt per image file name.
func widerFaces(t *testing.T, root string) map[string][]image.Rectangle {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "detection-wider", "boxes.txt"))
	if err != nil {
		t.Skipf("WIDER boxes absent: %v", err)
	}
	defer f.Close()
	out := map[string][]image.Rectangle{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 5 || strings.HasPrefix(fl[0], "#") {
			continue
		}
		var v [4]int
		for i := range v {
			v[i], _ = strconv.Atoi(fl[i+1])
		}
		out[fl[0]] = append(out[fl[0]], image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]))
	}
	return out
}

// TestDetectCrowds checks both modes on the WIDER photos with at least five scored faces:
// most faces are found, aggressive finds at least as many as normal, and every face
// carries landmarks inside a margin around its box.
func TestDetectCrowds(t *testing.T) {
	root := dataDir(t)
	d := detector(t)
	hits := map[string]int{}
	total := 0
	for name, want := range widerFaces(t, root) {
		if len(want) < 5 {
			continue
		}
		img := load(t, filepath.Join(root, "detection-wider", name))
		total += len(want)
		for _, mode := range []string{"normal", "aggressive"} {
			faces := d.Detect(img, Options{Mode: mode})
			for _, w := range want {
				for _, f := range faces {
					if rectIoU(f.Box, w) >= 0.3 {
						hits[mode]++
						break
					}
				}
			}
			for _, f := range faces {
				in := f.Box.Inset(-f.Box.Dx())
				for _, p := range []Point{f.EyeLeft, f.EyeRight, f.Nose, f.Mouth} {
					if !image.Pt(int(p.X), int(p.Y)).In(in) {
						t.Errorf("%s %s: landmark %+v far from face %v", name, mode, p, f.Box)
					}
				}
				if f.Confidence < 1 || f.Confidence > 100 {
					t.Errorf("%s %s: confidence %d", name, mode, f.Confidence)
				}
			}
		}
	}
	if total == 0 {
		t.Skip("no WIDER photo with five scored faces")
	}
	t.Logf("crowd photos: normal %d, aggressive %d of %d faces", hits["normal"], hits["aggressive"], total)
	if hits["aggressive"]*10 < total*6 {
		t.Errorf("aggressive (the CNN) found %d of %d crowd faces", hits["aggressive"], total)
	}
	if hits["aggressive"] < hits["normal"] {
		t.Errorf("aggressive found %d faces, normal %d", hits["aggressive"], hits["normal"])
	}
}

func TestBoxOverlap(t *testing.T) {
	a := image.Rect(0, 0, 10, 10)
	cases := []struct {
		name string
		b    image.Rectangle
		want bool
	}{
		{"same", a, true},
		{"disjoint", image.Rect(20, 20, 30, 30), false},
		{"small inside", image.Rect(2, 2, 6, 6), true},
		{"slight overlap", image.Rect(8, 8, 18, 18), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := boxOverlap(a, c.b); got != c.want {
				t.Errorf("boxOverlap = %v, want %v", got, c.want)
			}
		})
	}
}
