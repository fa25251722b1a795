package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // LFW images
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/pipeline"
)

func init() { commands["recognize"] = runRecognize }

// lfwCentreBox is the fixed face box used on LFW's 250×250 deep-funneled images when no
// detector is wired in: the face sits in the central ~110 px, eyes near y≈110.
var lfwCentreBox = image.Rect(70, 75, 180, 185)

// recogFace is what the pipeline keeps per image: one descriptor per alignment.
type recogFace struct {
	desc     [][128]float32 // indexed like the chosen variants
	fallback bool           // the detector found no face on the image centre
	err      error
}

// detectMode is the engine/detect mode faceBox uses (set by --mode).
var detectMode = "normal"

// landmarkBoxScale and landmarkBoxShift reshape the detected box before the landmark net
// crops it (set by --box-scale, --box-shift): side × scale, centre moved down by shift ×
// the box height.
var landmarkBoxScale, landmarkBoxShift = 1.0, 0.0

// landmarkBoxSquare makes that box a square of its longer side (--box-square).
var landmarkBoxSquare bool

func reshaped() bool { return landmarkBoxScale != 1 || landmarkBoxShift != 0 || landmarkBoxSquare }

func reshape(r image.Rectangle) image.Rectangle {
	if !reshaped() {
		return r
	}
	cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2+landmarkBoxShift*float64(r.Dy())
	w, h := float64(r.Dx()), float64(r.Dy())
	if landmarkBoxSquare {
		w, h = max(w, h), max(w, h)
	}
	hw, hh := landmarkBoxScale*w/2, landmarkBoxScale*h/2
	return image.Rect(int(cx-hw), int(cy-hh), int(cx+hw), int(cy+hh))
}

// faceBox returns the detector's face covering the image centre (the LFW subject), or the
// fixed centre box when there is no detector or it finds none. lm is that face's 68
// points when the detector placed them (the CNN modes, as the API does).
func faceBox(det *detect.Detector, img image.Image) (box image.Rectangle, fallback bool, lm *[68]faceapi.Point) {
	if det == nil {
		return lfwCentreBox, false, nil
	}
	b := img.Bounds()
	c := image.Pt((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2)
	var best *detect.Face
	faces := det.DetectImage(img, detect.Options{Mode: detectMode})
	for i, f := range faces {
		if c.In(f.Box) && (best == nil || f.Box.Dx()*f.Box.Dy() > best.Box.Dx()*best.Box.Dy()) {
			best = &faces[i]
		}
	}
	if best == nil {
		return lfwCentreBox, true, nil
	}
	if best.Landmarks != nil {
		lm = new([68]faceapi.Point)
		for i, p := range best.Landmarks {
			lm[i] = faceapi.Point{X: p.X + float64(b.Min.X), Y: p.Y + float64(b.Min.Y)}
		}
	}
	return best.Box, false, lm
}

func runRecognize(args []string) error {
	fl := flag.NewFlagSet("recognize", flag.ContinueOnError)
	data := fl.String("data", "../shared/data/faces", "faces data folder")
	nPairs := fl.Int("pairs", 0, "use about N pairs (spread over the 5 folds); 0 = all 3000")
	ident := fl.Bool("ident", true, "also run the identification protocol")
	timing := fl.Bool("timing", true, "measure speed, memory and the JS reference")
	iters := fl.Int("iters", 20, "timing iterations")
	variantList := fl.String("variants", "default,similarity,crop", "descriptor variants: default (Descriptor: similarity + mirror), ens2 (similarity chip + the mirrored dlib chip, 2 passes), ens4 (both chips, each with its mirror, 4 passes), similarity (no mirror), crop (face-api chip), crop+flip, default+refine (second landmark pass), dlib (similarity on dlib's 33 chip points), lmflip (landmarks averaged with the mirror image's), lmflip+dlib; with several, the first is the baseline of the nested choice and the mixed-template table")
	detector := fl.String("detector", "engine", "face boxes: engine (engine/detect in --mode, centre box as fallback) or centre (fixed box)")
	mode := fl.String("mode", "normal", "engine/detect mode for --detector engine: normal, aggressive or cascade")
	pairsOut := fl.String("pairs-out", "", "write each pair's result for the first variant to this file (tab-separated: fold, images, same, distance, the fold's threshold from the other folds, correct, no centre face found)")
	fl.Float64Var(&landmarkBoxScale, "box-scale", 1, "scale the face box about its centre before the landmark net crops it")
	fl.BoolVar(&landmarkBoxSquare, "box-square", false, "make the face box a square of its longer side before the landmark net crops it")
	fl.Float64Var(&landmarkBoxShift, "box-shift", 0, "move the face box down by this share of its height before the landmark net crops it")
	if err := fl.Parse(args); err != nil {
		return err
	}
	lfw := filepath.Join(*data, "recognition", "lfw")
	var ms0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	m, err := faceapi.Load()
	if err != nil {
		return err
	}
	var ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms1)

	perFold := 0
	if *nPairs > 0 {
		perFold = max(1, *nPairs/10)
	}
	pairs, err := readLFWPairs(filepath.Join(lfw, "pairs.txt"), perFold)
	if err != nil {
		return err
	}
	var gallery, probes []string
	if *ident {
		if gallery, probes, err = readIdentification(filepath.Join(lfw, "identification.txt")); err != nil {
			return err
		}
	}
	need := map[string]bool{}
	for _, p := range pairs {
		need[p.a], need[p.b] = true, true
	}
	for _, p := range append(append([]string(nil), gallery...), probes...) {
		need[p] = true
	}
	variants, err := pickVariants(*variantList)
	if err != nil {
		return err
	}
	var det *detect.Detector
	switch *detector {
	case "engine", "pigo": // "pigo" is the name this option had before the CNN modes
		detectMode = *mode
		if det, err = pipeline.Detector(); err != nil {
			return err
		}
	case "centre":
	default:
		return fmt.Errorf("unknown -detector %q", *detector)
	}
	fmt.Printf("recognize: %d pairs, %d images, %d gallery, %d probes; face boxes: %s\n",
		len(pairs), len(need), len(gallery), len(probes), *detector+" "+detectMode)
	t0 := time.Now()
	faces := describeAll(m, det, variants, lfw, need)
	fallbacks := 0
	for _, f := range faces {
		if f.fallback {
			fallbacks++
		}
	}
	if det != nil {
		fmt.Printf("detector found no face on the image centre in %d of %d images (fixed centre box %v used there)\n", fallbacks, len(faces), lfwCentreBox)
	}
	fmt.Printf("pipeline (decode → detect → landmarks → the variants' chips → descriptors): %d images in %.1fs on %d procs\n\n",
		len(faces), time.Since(t0).Seconds(), runtime.GOMAXPROCS(0))

	fmt.Println("| variant | LFW accuracy (mean ± SE, 5 folds) | fold thresholds | rank-1 ident | failures |")
	fmt.Println("|---|---|---|---|---|")
	var sim []scored
	all := make([][]scored, len(variants))
	for al, v := range variants {
		s, fails := scorePairs(pairs, faces, al)
		all[al] = s
		mean, se, ts := lfwProtocol(s)
		r1 := "–"
		if *ident {
			r1 = fmt.Sprintf("%.2f %%", 100*rank1(gallery, probes, faces, al))
		}
		fmt.Printf("| %s | %.2f %% ± %.2f | %s | %s | %d |\n", v.name, 100*mean, 100*se, fmtTs(ts), r1, fails)
		if v.name == "default" {
			sim = s
		}
	}
	fmt.Println()
	if *pairsOut != "" {
		if err := writePairs(*pairsOut, pairs, faces, all[0]); err != nil {
			return err
		}
	}
	reportNested(variants, all)
	reportMixed(pairs, faces, variants)
	if sim != nil {
		reportThresholds(sim)
	}
	if *timing {
		reportTiming(m, lfw, *iters, ms1.HeapAlloc-ms0.HeapAlloc)
	}
	return nil
}

func fmtTs(ts []float64) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.3f", t)
	}
	return s
}

// describeFile runs decode → landmarks (centre box) → both chips → descriptors.
func describeFile(m *faceapi.Models, det *detect.Detector, variants []recogVariant, path string) recogFace {
	var f recogFace
	fh, err := os.Open(path)
	if err != nil {
		f.err = err
		return f
	}
	img, _, err := image.Decode(fh)
	fh.Close()
	if err != nil {
		f.err = err
		return f
	}
	box, fallback, detLM := faceBox(det, img)
	f.fallback = fallback
	var lm [68]faceapi.Point
	lmBox := reshape(box) // the region the landmark net saw
	if detLM != nil && !reshaped() {
		lm = *detLM // the detector's points, as the API uses them
		lmBox = detect.LandmarkCrop(box).Add(img.Bounds().Min)
	} else if lm, err = m.Landmarks(img, lmBox); err != nil {
		f.err = err
		return f
	}
	f.desc = make([][128]float32, len(variants))
	cache := map[chipPart][128]float32{}
	for i, v := range variants {
		if v.parts != nil {
			f.desc[i], err = partsDescriptor(m, img, lm, v.parts, cache)
		} else {
			f.desc[i], err = v.desc(m, img, lm, lmBox)
		}
		if err != nil {
			f.err = err
			return f
		}
	}
	return f
}

func describeAll(m *faceapi.Models, det *detect.Detector, variants []recogVariant, root string, need map[string]bool) map[string]recogFace {
	paths := make([]string, 0, len(need))
	for p := range need {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make(map[string]recogFace, len(paths))
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				f := describeFile(m, det, variants, filepath.Join(root, p))
				mu.Lock()
				out[p] = f
				if len(out)%500 == 0 {
					fmt.Fprintf(os.Stderr, "recognize: %d/%d images\n", len(out), len(paths))
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	return out
}

// scorePairs computes pair distances; a pair with a failed image counts as distance +Inf.
func scorePairs(pairs []lfwPair, faces map[string]recogFace, al int) ([]scored, int) {
	s := make([]scored, len(pairs))
	fails := 0
	for i, p := range pairs {
		a, b := faces[p.a], faces[p.b]
		d := math.Inf(1)
		if a.err == nil && b.err == nil {
			d = float64(faceapi.Distance(a.desc[al], b.desc[al]))
		} else {
			fails++
		}
		s[i] = scored{d: d, same: p.same, fold: p.fold}
	}
	return s, fails
}

// writePairs writes each pair's distance and verdict at its fold's threshold, chosen on
// the other folds as lfwProtocol does, so that two runs can be compared pair by pair.
func writePairs(path string, pairs []lfwPair, faces map[string]recogFace, s []scored) error {
	_, _, ts := lfwProtocol(s)
	var b strings.Builder
	b.WriteString("fold\ta\tb\tsame\tdistance\tthreshold\tcorrect\tfallback_a\tfallback_b\n")
	for i, p := range pairs {
		t := ts[s[i].fold]
		fmt.Fprintf(&b, "%d\t%s\t%s\t%t\t%.4f\t%.4f\t%t\t%t\t%t\n", p.fold, p.a, p.b, p.same, s[i].d, t,
			(s[i].d < t) == p.same, faces[p.a].fallback, faces[p.b].fallback)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// rank1 is the fraction of probes whose nearest gallery descriptor has their identity.
func rank1(gallery, probes []string, faces map[string]recogFace, al int) float64 {
	ok := 0
	for _, p := range probes {
		best, bestID := math.Inf(1), ""
		for _, g := range gallery {
			if faces[g].err != nil || faces[p].err != nil {
				continue
			}
			if d := float64(faceapi.Distance(faces[p].desc[al], faces[g].desc[al])); d < best {
				best, bestID = d, identity(g)
			}
		}
		if bestID == identity(p) {
			ok++
		}
	}
	return float64(ok) / float64(max(len(probes), 1))
}

// reportThresholds prints FAR/FRR at candidate thresholds and the confidence mapping.
func reportThresholds(s []scored) {
	lt, lk := fitLogistic(s)
	fmt.Printf("Threshold (default Descriptor, all %d pairs): best single threshold %.3f; logistic fit P(same|d) = 1/(1+exp(%.1f·(d−%.3f))); faceapi.DefaultThreshold = %.2f, Confidence(d) = 100/(1+exp(%d·(d−%.2f)))\n\n",
		len(s), bestThreshold(s), lk, lt, faceapi.DefaultThreshold, faceapi.ConfidenceSlope, faceapi.DefaultThreshold)
	fmt.Println("| threshold | confidence at threshold | FAR | FRR | accuracy |")
	fmt.Println("|---|---|---|---|---|")
	for _, t := range []float64{0.50, 0.55, 0.58, float64(faceapi.DefaultThreshold), 0.62, 0.65, 0.70} {
		far, frr := farFRR(s, t)
		fmt.Printf("| %.3f | %d | %.2f %% | %.2f %% | %.2f %% |\n", t, faceapi.Confidence(float32(t)), 100*far, 100*frr, 100*accuracy(s, t))
	}
	fmt.Println()
}

func reportTiming(m *faceapi.Models, lfw string, iters int, loadHeap uint64) {
	// A real chip from the first LFW image, so activations have realistic sparsity.
	matches, _ := filepath.Glob(filepath.Join(lfw, "images", "*", "*.jpg"))
	if len(matches) == 0 {
		return
	}
	fh, err := os.Open(matches[0])
	if err != nil {
		return
	}
	img, _, err := image.Decode(fh)
	fh.Close()
	if err != nil {
		return
	}
	lm, err := m.Landmarks(img, lfwCentreBox)
	if err != nil {
		return
	}
	chip, err := faceapi.Chip(img, lm, faceapi.AlignSimilarity)
	if err != nil {
		return
	}
	procs := runtime.GOMAXPROCS(0)
	// one returns wall and process-CPU milliseconds per call.
	one := func(f func()) (wall, cpu float64) {
		f()
		t := time.Now()
		c0, _ := processCPU()
		for range iters {
			f()
		}
		c1, ok := processCPU()
		if ok {
			cpu = float64((c1 - c0).Microseconds()) / 1000 / float64(iters)
		}
		return float64(time.Since(t).Microseconds()) / 1000 / float64(iters), cpu
	}
	runtime.GOMAXPROCS(1)
	descMS, descCPUMS := one(func() { _, _ = m.DescribeChip(chip) })
	fullMS, fullCPUMS := one(func() { _, _ = m.Descriptor(img, lm) })
	_, lmMS := one(func() { _, _ = m.Landmarks(img, lfwCentreBox) })
	_, agMS := one(func() { _, _, _ = m.AgeGender(img, lm) })
	_, exMS := one(func() { _, _ = m.Expression(img, lm) })
	runtime.GOMAXPROCS(procs)
	var wg sync.WaitGroup
	t := time.Now()
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range iters {
				_, _ = m.DescribeChip(chip)
			}
		}()
	}
	wg.Wait()
	fps := float64(procs*iters) / time.Since(t).Seconds()
	const macs = 270854144
	fmt.Println("| measure | value |")
	fmt.Println("|---|---|")
	fmt.Printf("| descriptor net (DescribeChip, one 150×150 pass), 1 core (GOMAXPROCS=1), wall | %.1f ms/face |\n", descMS)
	fmt.Printf("| descriptor net, 1 core, process CPU time | %.1f ms/face |\n", descCPUMS)
	if descCPUMS > 0 {
		fmt.Printf("| descriptor arithmetic rate (CPU time) | %.2f GFLOP/s = %.1f %% of a 100 GFLOP/s AVX2/FMA core |\n", 2*macs/descCPUMS/1e6, 2*macs/descCPUMS/1e6)
	}
	fmt.Printf("| Descriptor (default: align + chip + mirror, 2 net passes), 1 core | wall %.1f ms, CPU %.1f ms/face |\n", fullMS, fullCPUMS)
	fmt.Printf("| descriptor net throughput, %d cores | %.1f chips/s |\n", procs, fps)
	fmt.Printf("| landmarks68 / age-gender / expression, 1 core, CPU time | %.1f / %.1f / %.1f ms |\n", lmMS, agMS, exMS)
	fmt.Printf("| decoded weights (4 nets, float32) | %.1f MB |\n", float64(m.WeightBytes())/1e6)
	fmt.Printf("| heap growth of faceapi.Load | %.1f MB |\n", float64(loadHeap)/1e6)
	fmt.Printf("| scratch per concurrent inference (largest arena) | %.1f MB |\n", float64(m.ScratchBytes())/1e6)
	for _, backend := range []string{"wasm", "cpu"} {
		ref, refCPU, err := referenceMS(backend)
		if err != nil {
			fmt.Printf("| reference %s | not measured: %v |\n", backend, err)
			continue
		}
		fmt.Printf("| reference face-api %s backend | wall %.1f ms/face (Go %.2f× faster); CPU %.1f ms/face (Go %.2f× less CPU) |\n",
			backend, ref, ref/descMS, refCPU, refCPU/descCPUMS)
	}
	fmt.Println()
}

// referenceMS runs tests/golden/golden.js --timing when its node_modules are installed.
func referenceMS(backend string) (wall, cpu float64, err error) {
	dir, err := repoRoot()
	if err != nil {
		return 0, 0, err
	}
	g := filepath.Join(dir, "tests", "golden")
	if _, err := os.Stat(filepath.Join(g, "node_modules")); err != nil {
		return 0, 0, fmt.Errorf("tests/golden/node_modules missing (npm ci)")
	}
	n := "20"
	if backend == "cpu" {
		n = "3"
	}
	out, err := exec.Command("node", filepath.Join(g, "golden.js"), "--timing", "--backend", backend, "--n", n).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("node: %w", err)
	}
	var r struct {
		MS    float64 `json:"ms_per_face"`
		CPUMS float64 `json:"cpu_ms_per_face"`
	}
	lines := splitLines(string(out))
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return 0, 0, fmt.Errorf("node output: %w", err)
	}
	return r.MS, r.CPUMS, nil
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found")
		}
		dir = parent
	}
}
