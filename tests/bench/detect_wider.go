package main

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/imageio"
)

// widerIoUs are the match thresholds reported for the WIDER set.
var widerIoUs = [3]float64{0.5, 0.4, 0.3}

// widerBins are the face-size bins (shorter annotated side, px at 416×416); the last one
// is open-ended.
var widerBins = [4][2]int{{20, 30}, {30, 45}, {45, 80}, {80, 1 << 30}}

// widerSet is detection-wider: 115 crowd photos with scored faces and ignore regions.
type widerSet struct {
	images  []string // absolute paths
	gt, ign map[string][]image.Rectangle
	faces   int
}

// scoredBox is one detection with the score used to order matching.
type scoredBox struct {
	r     image.Rectangle
	score float64
}

// widerResult is one detector's figures on the WIDER set.
type widerResult struct {
	name         string
	tp, fp       [3]int // per widerIoUs
	faces        int
	binHit, binN [4]int // per widerBins, at IoU 0.3
	msWall       float64
	msCPU        float64
}

func loadWider(data string) (*widerSet, error) {
	dir := filepath.Join(data, "detection-wider")
	s := &widerSet{gt: map[string][]image.Rectangle{}, ign: map[string][]image.Rectangle{}}
	imgs, err := filepath.Glob(filepath.Join(dir, "images", "*.jpg"))
	if err != nil || len(imgs) == 0 {
		return nil, fmt.Errorf("no images under %s", dir)
	}
	sort.Strings(imgs)
	s.images = imgs
	for name, dst := range map[string]map[string][]image.Rectangle{"boxes.txt": s.gt, "ignore.txt": s.ign} {
		if err := readWiderBoxes(filepath.Join(dir, name), dir, dst); err != nil {
			return nil, err
		}
	}
	for _, b := range s.gt {
		s.faces += len(b)
	}
	return s, nil
}

// readWiderBoxes reads "images/<file> x y w h [reason]" lines keyed by absolute path.
func readWiderBoxes(path, dir string, dst map[string][]image.Rectangle) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 5 || strings.HasPrefix(fl[0], "#") {
			continue
		}
		var v [4]int
		for i := range v {
			if v[i], err = strconv.Atoi(fl[i+1]); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		p := filepath.Join(dir, fl[0])
		dst[p] = append(dst[p], image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]))
	}
	return sc.Err()
}

// scoreWider matches detections per the set's README: by descending score, each detection
// takes the unmatched scored face with the highest IoU ≥ thr (a TP); otherwise, if it
// overlaps an ignore region by IoU ≥ thr or lies mostly (> 50 %) inside one, it is
// dropped; otherwise it is a FP.
func scoreWider(s *widerSet, name string, found map[string][]scoredBox) widerResult {
	r := widerResult{name: name, faces: s.faces}
	for _, p := range s.images {
		det := append([]scoredBox(nil), found[p]...)
		sort.SliceStable(det, func(i, j int) bool { return det[i].score > det[j].score })
		gt := s.gt[p]
		for k, thr := range widerIoUs {
			used := make([]bool, len(gt))
			for _, d := range det {
				best, bi := 0.0, -1
				for j, g := range gt {
					if v := iou(d.r, g); !used[j] && v >= thr && v > best {
						best, bi = v, j
					}
				}
				if bi >= 0 {
					used[bi] = true
					r.tp[k]++
					continue
				}
				if !ignored(d.r, s.ign[p], thr) {
					r.fp[k]++
				}
			}
			if thr == 0.3 {
				for j, g := range gt {
					side := min(g.Dx(), g.Dy())
					for b, bin := range widerBins {
						if side >= bin[0] && side < bin[1] {
							r.binN[b]++
							if used[j] {
								r.binHit[b]++
							}
						}
					}
				}
			}
		}
	}
	return r
}

func ignored(d image.Rectangle, ign []image.Rectangle, thr float64) bool {
	area := float64(d.Dx() * d.Dy())
	for _, g := range ign {
		in := d.Intersect(g)
		if iou(d, g) >= thr || (area > 0 && float64(in.Dx()*in.Dy())/area > 0.5) {
			return true
		}
	}
	return false
}

// widerProfile, when set, is the file that receives a CPU profile of the facegate WIDER
// runs (decode + detect only, not the scoring or the Node references).
var widerProfile string

// widerGo runs facegate's detector in one mode over the set on one core (GOMAXPROCS 1),
// decode + detect per image, and scores it.
func widerGo(d *detect.Detector, mode string, s *widerSet) (widerResult, error) {
	blobs := make([][]byte, len(s.images))
	for i, p := range s.images {
		b, err := os.ReadFile(p)
		if err != nil {
			return widerResult{}, err
		}
		blobs[i] = b
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	found := map[string][]scoredBox{}
	cpu0, t0 := detectCPUTime(), time.Now()
	for i, b := range blobs {
		img, err := imageio.Decode(b, imageio.Limits{})
		if err != nil {
			return widerResult{}, fmt.Errorf("%s: %w", s.images[i], err)
		}
		for _, f := range d.Detect(img, detect.Options{Mode: mode}) {
			found[s.images[i]] = append(found[s.images[i]], scoredBox{f.Box, float64(f.Confidence)})
		}
	}
	wall, cpu := time.Since(t0), detectCPUTime()-cpu0
	r := scoreWider(s, "facegate "+mode, found)
	n := float64(len(blobs))
	r.msWall, r.msCPU = float64(wall.Milliseconds())/n, float64(cpu.Milliseconds())/n
	return r, nil
}

// printWider prints one row per detector, with its CPU time per image relative to ref
// (the face-api reference run in the same command) when there is one.
func printWider(rs []widerResult, ref *widerResult) {
	frac := func(a, b int) float64 { return float64(a) / float64(max(1, b)) }
	fmt.Printf("\nWIDER (detection-wider: %d photos 416×416, %d scored faces, ignore regions not counted)\n\n", 115, rs[0].faces)
	fmt.Print("| detector | recall @.5 | recall @.4 | recall @.3 | precision @.5 | precision @.4 | precision @.3 | recall 20–30 px | 30–45 | 45–80 | ≥ 80 | ms/img 1 core (wall) | ms/img CPU |")
	if ref != nil {
		fmt.Print(" CPU vs " + ref.name + " |")
	}
	fmt.Print("\n|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	if ref != nil {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, r := range rs {
		fmt.Printf("| %s |", r.name)
		for k := range widerIoUs {
			fmt.Printf(" %.3f |", frac(r.tp[k], r.faces))
		}
		for k := range widerIoUs {
			fmt.Printf(" %.3f |", frac(r.tp[k], r.tp[k]+r.fp[k]))
		}
		for b := range widerBins {
			fmt.Printf(" %.2f (%d/%d) |", frac(r.binHit[b], r.binN[b]), r.binHit[b], r.binN[b])
		}
		fmt.Printf(" %.0f | %.0f |", r.msWall, r.msCPU)
		if ref != nil {
			fmt.Printf(" %.2f |", r.msCPU/max(ref.msCPU, 1e-9))
		}
		fmt.Println()
	}
}

// widerHaar runs OpenCV's Haar frontalface_default cascade (opencv_detect.py with py)
// over the set, decode + detect on one thread, and scores it; its boxes carry no score,
// so they are matched in the order OpenCV gives them.
func widerHaar(py string, s *widerSet) (widerResult, error) {
	resp, err := runOpenCV(py, []string{"haar"}, s.images, s.images, 1, 1)
	if err != nil {
		return widerResult{}, err
	}
	v := resp["haar"]
	found := map[string][]scoredBox{}
	for p, bs := range v.Boxes {
		for _, b := range bs {
			found[p] = append(found[p], scoredBox{r: image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3])})
		}
	}
	r := scoreWider(s, "OpenCV 4 Haar frontalface_default, 1 thread", found)
	r.msWall, r.msCPU = 1000/max(v.IPSOne, 1e-9), 1000/max(v.IPSCPU, 1e-9)
	return r, nil
}

// runWider scores the given modes on the WIDER set, plus OpenCV's Haar cascade when haarPy
// (a python with cv2) is set and the Node references when asked and available (face-api's
// SSD, and BlazeFace unless --no-blazeface), and prints the table; CPU ratios are against
// the SSD at its lowest minConfidence.
func runWider(d *detect.Detector, data string, modes []string, node bool, haarPy string) error {
	s, err := loadWider(data)
	if err != nil {
		return err
	}
	var rs []widerResult
	if widerProfile != "" {
		f, err := os.Create(widerProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for _, m := range modes {
		r, err := widerGo(d, m, s)
		if err != nil {
			return err
		}
		rs = append(rs, r)
		fmt.Fprintf(os.Stderr, "bench detect: WIDER %s done\n", m)
	}
	if widerProfile != "" {
		pprof.StopCPUProfile()
	}
	if haarPy != "" {
		r, err := widerHaar(haarPy, s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench detect: OpenCV Haar on WIDER skipped:", err)
		} else {
			rs = append(rs, r)
		}
	}
	var ref *widerResult
	if node {
		nodeRefs := []nodeRef{nodeSSD}
		if !noBlazeFace {
			nodeRefs = append(nodeRefs, nodeBlazeFace, nodeBlazeFaceTight)
		}
		refs, err := widerNode(s, nodeRefs...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench detect: Node references skipped:", err)
		}
		n := len(rs)
		rs = append(rs, refs...)
		for i := n; i < len(rs); i++ {
			if strings.HasPrefix(rs[i].name, "face-api SSD") {
				ref = &rs[i] // the lowest minConfidence, the recall target
				break
			}
		}
	}
	printWider(rs, ref)
	return nil
}
