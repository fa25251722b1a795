package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
)

// nodeMinConfidence are the minConfidence settings the face-api reference runs with.
var nodeMinConfidence = []float64{0.3, 0.5}

// blazeMinConfidence are the score thresholds BlazeFace runs with.
var blazeMinConfidence = []float64{0.5, 0.3}

// nodeRef is one reference detector run in Node by a script of tests/golden, which reads the
// request widerNode writes on stdin and prints boxes and times per image.
type nodeRef struct {
	script  string
	args    []string
	minConf []float64
	// name is the row's name for one threshold and the thread count Node reports.
	name func(threads int, minConf float64) string
}

// nodeSSD is face-api's SSD MobileNet v1 (tests/golden/bench_ssd.js).
var nodeSSD = nodeRef{script: "bench_ssd.js", minConf: nodeMinConfidence, name: func(th int, c float64) string {
	return fmt.Sprintf("face-api SSD, tfjs-wasm %d thread, minConfidence %.1f", th, c)
}}

// nodeBlazeFace is MediaPipe's BlazeFace back-camera model run by @vladmandic/human
// (tests/golden/bench_blazeface.js) with human's defaults otherwise: NMS IoU 0.1, boxes
// enlarged 1.4× (detector.scale, sized for its face-mesh crop) and made square.
var nodeBlazeFace = nodeRef{script: "bench_blazeface.js", minConf: blazeMinConfidence, name: func(th int, c float64) string {
	return fmt.Sprintf("BlazeFace (human 3.3.6, blazeface-back), tfjs-wasm %d thread, score %.1f", th, c)
}}

// nodeBlazeFaceTight is the same at score 0.5 with detector.scale 1: the network's own
// box, made square, which WIDER's tight boxes match at higher IoU.
var nodeBlazeFaceTight = nodeRef{script: "bench_blazeface.js", args: []string{"--scale", "1"}, minConf: []float64{0.5}, name: func(th int, c float64) string {
	return fmt.Sprintf("BlazeFace (human 3.3.6, blazeface-back), tfjs-wasm %d thread, score %.1f, detector.scale 1", th, c)
}}

// noBlazeFace is detect's --no-blazeface flag: skip BlazeFace on the WIDER set (--no-node
// skips every Node reference). The flag is taken off the arguments before detect's own
// flag set parses them (see init).
var noBlazeFace bool

// init wraps the detect command registered by detect.go (files initialise in name order)
// so that it accepts --no-blazeface.
func init() {
	run := commands["detect"]
	if run == nil {
		panic("bench: detect_node.go initialised before detect.go registered detect")
	}
	commands["detect"] = func(args []string) error {
		rest, err := takeNoBlazeFace(args)
		if err != nil {
			return err
		}
		return run(rest)
	}
}

// takeNoBlazeFace sets noBlazeFace from -no-blazeface, --no-blazeface or their =bool forms
// anywhere before a "--" and returns the other arguments. It does not know which of
// detect's flags take a value, so it does not stop at the first non-flag argument as
// package flag does (`--wider-modes ""` is a flag and its value).
func takeNoBlazeFace(args []string) ([]string, error) {
	var rest []string
	for i, a := range args {
		if a == "--" {
			return append(rest, args[i:]...), nil
		}
		name, val, hasVal := strings.Cut(a, "=")
		if name != "-no-blazeface" && name != "--no-blazeface" {
			rest = append(rest, a)
			continue
		}
		noBlazeFace = true
		if hasVal {
			v, err := strconv.ParseBool(val)
			if err != nil {
				return nil, fmt.Errorf("--no-blazeface: %q is not a boolean", val)
			}
			noBlazeFace = v
		}
	}
	return rest, nil
}

// widerNode runs the given reference detectors in Node (tfjs-wasm, one thread) on the WIDER
// photos, decoded here by engine/imageio and passed as raw RGB, and scores their boxes like
// ours. It needs node and tests/golden/node_modules (cd tests/golden && npm ci). A
// reference that fails is reported on stderr and left out; the others still run.
func widerNode(s *widerSet, refs ...nodeRef) ([]widerResult, error) {
	if _, err := os.Stat(filepath.Join("tests", "golden", "node_modules")); err != nil {
		return nil, fmt.Errorf("tests/golden/node_modules missing (cd tests/golden && npm ci): %w", err)
	}
	tmp, err := os.MkdirTemp("", "facegate-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	imgs := make([]nodeImage, len(s.images))
	for i, p := range s.images {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		im, err := imageio.Decode(data, imageio.Limits{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		px := faceapi.ToRGB(im.Img, im.Img.Bounds()).Pix
		b := make([]byte, len(px))
		for j, v := range px {
			b[j] = byte(v)
		}
		imgs[i] = nodeImage{filepath.Join(tmp, fmt.Sprintf("%d.rgb", i)), im.Width, im.Height}
		if err := os.WriteFile(imgs[i].RGB, b, 0o600); err != nil {
			return nil, err
		}
	}
	var rs []widerResult
	for _, ref := range refs {
		r, err := runNodeRef(s, ref, imgs)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench detect: %s skipped: %v\n", ref.script, err)
			continue
		}
		rs = append(rs, r...)
	}
	return rs, nil
}

// nodeImage is one raw RGB image of a widerNode request.
type nodeImage struct {
	RGB    string `json:"rgb"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// runNodeRef runs one reference script on the images and scores each threshold's boxes.
func runNodeRef(s *widerSet, ref nodeRef, imgs []nodeImage) ([]widerResult, error) {
	req, _ := json.Marshal(map[string]any{"images": imgs, "min_confidence": ref.minConf, "backend": "wasm"})
	cmd := exec.Command("node", append([]string{filepath.Join("tests", "golden", ref.script)}, ref.args...)...)
	cmd.Stdin, cmd.Stderr = bytes.NewReader(req), os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref.script, err)
	}
	var resp struct {
		Threads int `json:"threads"`
		Results []struct {
			MinConfidence float64        `json:"min_confidence"`
			Boxes         [][][5]float64 `json:"boxes"`
			MsWall        float64        `json:"ms_wall"`
			MsCPU         float64        `json:"ms_cpu"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("%s output: %w", ref.script, err)
	}
	var rs []widerResult
	for _, res := range resp.Results {
		found := map[string][]scoredBox{}
		for i, bs := range res.Boxes {
			for _, b := range bs {
				r := image.Rect(int(math.Round(b[0])), int(math.Round(b[1])), int(math.Round(b[0]+b[2])), int(math.Round(b[1]+b[3])))
				found[s.images[i]] = append(found[s.images[i]], scoredBox{r, b[4]})
			}
		}
		r := scoreWider(s, ref.name(resp.Threads, res.MinConfidence), found)
		r.msWall, r.msCPU = res.MsWall, res.MsCPU
		rs = append(rs, r)
	}
	return rs, nil
}
