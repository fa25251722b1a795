package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/facegate/facegate/engine/detect"
	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/pipeline"
)

func init() { commands["detect"] = runDetect }

// detResult holds one detector's figures for the table.
type detResult struct {
	name                string
	tp4, fp4, fn4       int     // detection set at IoU ≥ 0.4
	tp5, fp5, fn5       int     // ... and at IoU ≥ 0.5
	sizeRatio           float64 // mean matched box side / annotated side (IoU ≥ 0.4)
	lfwHit, lfwN        int
	lfwExtra            int // detections not containing the centre, summed over LFW
	ipsOne, ipsAll      float64
	ipsCPU              float64 // images per CPU-second of the one-core pass
	p50, p99            time.Duration
	allocs, allocBytes  float64 // per image, decode + detect
	detAllocs, detBytes float64 // per image, detect only
	eyeErr, mouthErr    float64 // mean px error vs mean position on LFW (250×250)
	eyeMean             [2][2]float64
	mouthMean           [2]float64
	orderOK, orderN     int // LFW hits with eye_left.x > eye_right.x
	recognizable        int // LFW hits reported recognizable
	hasLandmarks, hasGo bool
}

func runDetect(args []string) error {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	data := fs.String("data", "../shared/data/faces", "shared faces data directory")
	mode := fs.String("mode", "normal", "detect mode: normal or aggressive")
	lfwMax := fs.Int("lfw", 0, "use at most this many LFW images (0 = all)")
	reps := fs.Int("reps", 2, "passes over the speed images")
	py := fs.String("python", "/usr/bin/python3", "python with cv2 (Debian python3-opencv)")
	noCV := fs.Bool("no-opencv", false, "skip the OpenCV baselines (also OpenCV Haar on the WIDER set)")
	widerModes := fs.String("wider-modes", "normal,aggressive", "modes run on the WIDER set (empty: skip it)")
	widerOnly := fs.Bool("wider-only", false, "run only the WIDER set")
	noNode := fs.Bool("no-node", false, "skip the face-api SSD reference (Node, tfjs-wasm) on the WIDER set")
	points := fs.String("points", "net", "who places the CNN modes' points: net (the landmark net, as the API does) or cascade (pigo's pupil and landmark cascades)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of facegate's WIDER runs to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	widerProfile = *cpuProfile
	gt, err := readBoxes(filepath.Join(*data, "detection", "boxes.txt"))
	if err != nil {
		return err
	}
	var detImgs []string
	for p := range gt {
		detImgs = append(detImgs, filepath.Join(*data, "detection", p))
	}
	sort.Strings(detImgs)
	lfw, err := filepath.Glob(filepath.Join(*data, "recognition", "lfw", "images", "*", "*.jpg"))
	if err != nil || len(lfw) == 0 {
		return fmt.Errorf("no LFW images under %s", *data)
	}
	sort.Strings(lfw)
	if *lfwMax > 0 && *lfwMax < len(lfw) {
		lfw = everyNth(lfw, *lfwMax)
	}
	wider, _ := filepath.Glob(filepath.Join(*data, "speed", "wider416", "*.jpg"))
	sort.Strings(wider)
	speed := append(append([]string{}, detImgs...), wider...)

	var d *detect.Detector
	switch *points {
	case "net":
		d, err = pipeline.Detector()
	case "cascade":
		d, err = detect.New()
	default:
		err = fmt.Errorf("--points: want net or cascade, not %q", *points)
	}
	if err != nil {
		return err
	}
	if *widerModes != "" {
		haarPy := *py
		if *noCV {
			haarPy = ""
		}
		if err := runWider(d, *data, strings.Split(*widerModes, ","), !*noNode, haarPy); err != nil {
			return err
		}
	}
	if *widerOnly {
		return nil
	}
	opt := detect.Options{Mode: *mode}
	boxes := func(p string) ([]image.Rectangle, *detect.Face, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		img, err := imageio.Decode(b, imageio.Limits{})
		if err != nil {
			return nil, nil, err
		}
		faces := d.Detect(img, opt)
		var rs []image.Rectangle
		var centre *detect.Face
		for i, f := range faces {
			rs = append(rs, f.Box)
			if containsCentre(f.Box, img.Width, img.Height) && centre == nil {
				centre = &faces[i]
			}
		}
		return rs, centre, nil
	}
	res := detResult{name: "facegate " + *mode, hasGo: true, hasLandmarks: true}
	goBoxes := map[string][]image.Rectangle{}
	var eyesL, eyesR, mouths [][2]float64
	for _, p := range append(append([]string{}, detImgs...), lfw...) {
		rs, c, err := boxes(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		goBoxes[p] = rs
		if c != nil && strings.Contains(p, "lfw") {
			eyesL = append(eyesL, [2]float64{c.EyeLeft.X, c.EyeLeft.Y})
			eyesR = append(eyesR, [2]float64{c.EyeRight.X, c.EyeRight.Y})
			mouths = append(mouths, [2]float64{c.Mouth.X, c.Mouth.Y})
			res.orderN++
			if c.EyeLeft.X > c.EyeRight.X {
				res.orderOK++
			}
			if c.Recognizable {
				res.recognizable++
			}
		}
	}
	score(&res, goBoxes, gt, *data, lfw)
	res.eyeMean[0], res.eyeMean[1], res.mouthMean = meanPt(eyesL), meanPt(eyesR), meanPt(mouths)
	res.eyeErr = (meanErr(eyesL, res.eyeMean[0]) + meanErr(eyesR, res.eyeMean[1])) / 2
	res.mouthErr = meanErr(mouths, res.mouthMean)
	if err := goSpeed(&res, d, opt, speed, *reps); err != nil {
		return err
	}
	results := []detResult{res}
	if !*noCV {
		cv, err := openCV(*py, detImgs, lfw, speed, *reps, gt, *data)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench detect: OpenCV baseline skipped:", err)
			fmt.Fprintln(os.Stderr, "  install it with: apt-get install -y python3-opencv opencv-data (then rerun)")
		}
		results = append(results, cv...)
	}
	printTable(results, len(lfw), len(speed), *reps)
	return nil
}

// everyNth picks n paths spread evenly over ps.
func everyNth(ps []string, n int) []string {
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, ps[i*len(ps)/n])
	}
	return out
}

func readBoxes(path string) (map[string][]image.Rectangle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gt := map[string][]image.Rectangle{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 5 || strings.HasPrefix(fl[0], "#") {
			continue
		}
		var v [4]int
		for i := range v {
			if v[i], err = strconv.Atoi(fl[i+1]); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		gt[fl[0]] = append(gt[fl[0]], image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]))
	}
	return gt, sc.Err()
}

func containsCentre(r image.Rectangle, w, h int) bool {
	return image.Pt(w/2, h/2).In(r)
}

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// match greedily pairs detections with annotations by decreasing IoU (one-to-one).
func match(det, gt []image.Rectangle, thr float64) (tp int, pairs [][2]int) {
	type cand struct {
		i, j int
		v    float64
	}
	var cs []cand
	for i, a := range det {
		for j, b := range gt {
			if v := iou(a, b); v >= thr {
				cs = append(cs, cand{i, j, v})
			}
		}
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].v > cs[b].v })
	ud, ug := map[int]bool{}, map[int]bool{}
	for _, c := range cs {
		if !ud[c.i] && !ug[c.j] {
			ud[c.i], ug[c.j] = true, true
			pairs = append(pairs, [2]int{c.i, c.j})
		}
	}
	return len(pairs), pairs
}

// score fills the accuracy figures of r from the boxes found per image path.
func score(r *detResult, found map[string][]image.Rectangle, gt map[string][]image.Rectangle, data string, lfw []string) {
	var ratio float64
	var nr int
	for p, want := range gt {
		det := found[filepath.Join(data, "detection", p)]
		tp, pairs := match(det, want, 0.4)
		r.tp4, r.fp4, r.fn4 = r.tp4+tp, r.fp4+len(det)-tp, r.fn4+len(want)-tp
		for _, pr := range pairs {
			ratio += float64(det[pr[0]].Dx()) / float64(want[pr[1]].Dx())
			nr++
		}
		tp, _ = match(det, want, 0.5)
		r.tp5, r.fp5, r.fn5 = r.tp5+tp, r.fp5+len(det)-tp, r.fn5+len(want)-tp
	}
	if nr > 0 {
		r.sizeRatio = ratio / float64(nr)
	}
	for _, p := range lfw {
		hit := false
		for _, b := range found[p] {
			if containsCentre(b, 250, 250) {
				hit = true
			} else {
				r.lfwExtra++
			}
		}
		r.lfwN++
		if hit {
			r.lfwHit++
		}
	}
}

func meanPt(ps [][2]float64) (m [2]float64) {
	for _, p := range ps {
		m[0] += p[0] / float64(len(ps))
		m[1] += p[1] / float64(len(ps))
	}
	return m
}

func meanErr(ps [][2]float64, m [2]float64) float64 {
	var s float64
	for _, p := range ps {
		s += math.Hypot(p[0]-m[0], p[1]-m[1])
	}
	return s / float64(max(1, len(ps)))
}

// goSpeed times decode+detect from bytes on one core (latencies, allocations) and on all
// cores (one worker per core), and detect alone for its allocations.
func goSpeed(r *detResult, d *detect.Detector, opt detect.Options, paths []string, reps int) error {
	blobs := make([][]byte, len(paths))
	imgs := make([]*imageio.Image, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		blobs[i] = b
		if imgs[i], err = imageio.Decode(b, imageio.Limits{}); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	ncpu := runtime.NumCPU()
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var lat []time.Duration
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0 := detectCPUTime()
	t0 := time.Now()
	for range reps {
		for _, b := range blobs {
			s := time.Now()
			img, err := imageio.Decode(b, imageio.Limits{})
			if err != nil {
				return err
			}
			d.Detect(img, opt)
			lat = append(lat, time.Since(s))
		}
	}
	el := time.Since(t0)
	cpu := detectCPUTime() - cpu0
	runtime.ReadMemStats(&m1)
	n := float64(len(lat))
	r.ipsOne = n / el.Seconds()
	r.ipsCPU = n / cpu.Seconds()
	r.allocs, r.allocBytes = float64(m1.Mallocs-m0.Mallocs)/n, float64(m1.TotalAlloc-m0.TotalAlloc)/n
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	runtime.ReadMemStats(&m0)
	for _, img := range imgs {
		d.Detect(img, opt)
	}
	runtime.ReadMemStats(&m1)
	r.detAllocs = float64(m1.Mallocs-m0.Mallocs) / float64(len(imgs))
	r.detBytes = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(len(imgs))

	runtime.GOMAXPROCS(ncpu)
	work := make(chan []byte)
	var wg sync.WaitGroup
	t0 = time.Now()
	for range ncpu {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if img, err := imageio.Decode(b, imageio.Limits{}); err == nil {
					d.Detect(img, opt)
				}
			}
		}()
	}
	for range reps * ncpu {
		for _, b := range blobs {
			work <- b
		}
	}
	close(work)
	wg.Wait()
	r.ipsAll = float64(reps*ncpu*len(blobs)) / time.Since(t0).Seconds()
	return nil
}

// detectCPUTime is the CPU time (user + system) used by this process so far. On a machine
// shared with other jobs, images per CPU-second compare detectors more fairly than wall
// time; the one-core pass runs with GOMAXPROCS(1) so it is dominated by detection.
func detectCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openCVResult is one OpenCV detector's answer from opencv_detect.py.
type openCVResult struct {
	Boxes  map[string][][4]int `json:"boxes"`
	Lat    []float64           `json:"latencies_s"`
	IPSOne float64             `json:"ips_one"`
	IPSAll float64             `json:"ips_all"`
	IPSCPU float64             `json:"ips_cpu"`
}

// runOpenCV runs tests/bench/opencv_detect.py with the given detectors: boxes on the
// accuracy images, speed on the speed images (reps passes, one thread, then procs
// single-threaded workers).
func runOpenCV(py string, detectors, accuracy, speed []string, reps, procs int) (map[string]openCVResult, error) {
	if _, err := exec.Command(py, "-c", "import cv2").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s cannot import cv2: %w", py, err)
	}
	req, _ := json.Marshal(map[string]any{"detectors": detectors, "accuracy": accuracy, "speed": speed,
		"reps": reps, "procs": procs})
	cmd := exec.Command(py, filepath.Join("tests", "bench", "opencv_detect.py"))
	cmd.Stdin, cmd.Stderr = bytes.NewReader(req), os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("opencv_detect.py: %w", err)
	}
	var raw map[string]json.RawMessage // the detectors' answers and "version"
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, err
	}
	resp := map[string]openCVResult{}
	for _, name := range detectors {
		var v openCVResult
		if err := json.Unmarshal(raw[name], &v); err != nil {
			return nil, fmt.Errorf("opencv_detect.py %s: %w", name, err)
		}
		resp[name] = v
	}
	return resp, nil
}

// openCV runs OpenCV's Haar and LBP cascades and scores their boxes like ours.
func openCV(py string, detImgs, lfw, speed []string, reps int, gt map[string][]image.Rectangle, data string) ([]detResult, error) {
	resp, err := runOpenCV(py, []string{"haar", "lbp"}, append(append([]string{}, detImgs...), lfw...), speed, reps, runtime.NumCPU())
	if err != nil {
		return nil, err
	}
	var res []detResult
	for _, name := range []string{"haar", "lbp"} {
		v := resp[name]
		r := detResult{name: "OpenCV 4 " + map[string]string{"haar": "Haar frontalface_default", "lbp": "LBP frontalface_improved"}[name]}
		found := map[string][]image.Rectangle{}
		for p, bs := range v.Boxes {
			for _, b := range bs {
				found[p] = append(found[p], image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3]))
			}
		}
		score(&r, found, gt, data, lfw)
		r.ipsOne, r.ipsAll, r.ipsCPU = v.IPSOne, v.IPSAll, v.IPSCPU
		lat := make([]time.Duration, len(v.Lat))
		for i, s := range v.Lat {
			lat[i] = time.Duration(s * float64(time.Second))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) > 0 {
			r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
		}
		res = append(res, r)
	}
	return res, nil
}

// printTable prints one column per detector plus our ratio to OpenCV Haar.
func printTable(rs []detResult, nLFW, nSpeed, reps int) {
	frac := func(a, b int) float64 { return float64(a) / float64(max(1, b)) }
	rows := []struct {
		name string
		f    func(r detResult) float64
		fmt  string
		goOn bool // only meaningful for our detector
	}{
		{"detection set recall @IoU≥0.4", func(r detResult) float64 { return frac(r.tp4, r.tp4+r.fn4) }, "%.3f", false},
		{"detection set precision @IoU≥0.4", func(r detResult) float64 { return frac(r.tp4, r.tp4+r.fp4) }, "%.3f", false},
		{"detection set recall @IoU≥0.5", func(r detResult) float64 { return frac(r.tp5, r.tp5+r.fn5) }, "%.3f", false},
		{"detection set precision @IoU≥0.5", func(r detResult) float64 { return frac(r.tp5, r.tp5+r.fp5) }, "%.3f", false},
		{"box side / annotated side (matched)", func(r detResult) float64 { return r.sizeRatio }, "%.2f", false},
		{fmt.Sprintf("LFW centre-face recall (%d imgs)", nLFW), func(r detResult) float64 { return frac(r.lfwHit, r.lfwN) }, "%.4f", false},
		{"LFW other detections per image", func(r detResult) float64 { return frac(r.lfwExtra, r.lfwN) }, "%.3f", false},
		{"LFW eye error vs mean position (px of 250)", func(r detResult) float64 { return r.eyeErr }, "%.2f", true},
		{"LFW mouth error vs mean position (px)", func(r detResult) float64 { return r.mouthErr }, "%.2f", true},
		{"LFW eye_left.x > eye_right.x", func(r detResult) float64 { return frac(r.orderOK, r.orderN) }, "%.4f", true},
		{"LFW centre faces recognizable", func(r detResult) float64 { return frac(r.recognizable, r.orderN) }, "%.4f", true},
		{fmt.Sprintf("imgs/s, 1 core (%d imgs ×%d)", nSpeed, reps), func(r detResult) float64 { return r.ipsOne }, "%.1f", false},
		{"imgs per CPU-second, 1 core (fair under load)", func(r detResult) float64 { return r.ipsCPU }, "%.1f", false},
		{fmt.Sprintf("imgs/s, %d cores", runtime.NumCPU()), func(r detResult) float64 { return r.ipsAll }, "%.1f", false},
		{"latency p50 (ms, 1 core)", func(r detResult) float64 { return float64(r.p50) / 1e6 }, "%.1f", false},
		{"latency p99 (ms, 1 core)", func(r detResult) float64 { return float64(r.p99) / 1e6 }, "%.1f", false},
		{"allocs/img (decode+detect)", func(r detResult) float64 { return r.allocs }, "%.0f", true},
		{"KiB allocated/img (decode+detect)", func(r detResult) float64 { return r.allocBytes / 1024 }, "%.0f", true},
		{"allocs/img (detect only)", func(r detResult) float64 { return r.detAllocs }, "%.0f", true},
		{"KiB allocated/img (detect only)", func(r detResult) float64 { return r.detBytes / 1024 }, "%.0f", true},
	}
	var haar *detResult
	for i := range rs {
		if strings.Contains(rs[i].name, "Haar") {
			haar = &rs[i]
		}
	}
	fmt.Print("| metric |")
	for _, r := range rs {
		fmt.Printf(" %s |", r.name)
	}
	if haar != nil {
		fmt.Print(" ours / Haar |")
	}
	fmt.Print("\n|---|")
	for range rs {
		fmt.Print("---|")
	}
	if haar != nil {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, row := range rows {
		fmt.Printf("| %s |", row.name)
		for _, r := range rs {
			if row.goOn && !r.hasGo {
				fmt.Print(" n/a |")
				continue
			}
			fmt.Printf(" "+row.fmt+" |", row.f(r))
		}
		if haar != nil {
			if h := row.f(*haar); !row.goOn && h != 0 {
				fmt.Printf(" %.2f |", row.f(rs[0])/h)
			} else {
				fmt.Print(" |")
			}
		}
		fmt.Println()
	}
	if len(rs) > 0 && rs[0].hasLandmarks {
		r := rs[0]
		fmt.Printf("\nLFW mean positions (x, y in 250×250): eye_left (%.1f, %.1f), eye_right (%.1f, %.1f), mouth (%.1f, %.1f)\n",
			r.eyeMean[0][0], r.eyeMean[0][1], r.eyeMean[1][0], r.eyeMean[1][1], r.mouthMean[0], r.mouthMean[1])
	}
}
