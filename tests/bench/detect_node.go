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

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
)

// nodeMinConfidence are the minConfidence settings the face-api reference runs with.
var nodeMinConfidence = []float64{0.3, 0.5}

// widerNode runs face-api's SSD MobileNet v1 in Node (tests/golden/bench_ssd.js,
// tfjs-wasm, one thread) on the WIDER photos, decoded here by engine/imageio and passed as
// raw RGB, and scores its boxes like ours. It needs node and tests/golden/node_modules
// (cd tests/golden && npm ci).
func widerNode(s *widerSet) ([]widerResult, error) {
	if _, err := os.Stat(filepath.Join("tests", "golden", "node_modules")); err != nil {
		return nil, fmt.Errorf("tests/golden/node_modules missing (cd tests/golden && npm ci): %w", err)
	}
	tmp, err := os.MkdirTemp("", "facegate-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	type img struct {
		RGB    string `json:"rgb"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
	}
	imgs := make([]img, len(s.images))
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
		imgs[i] = img{filepath.Join(tmp, fmt.Sprintf("%d.rgb", i)), im.Width, im.Height}
		if err := os.WriteFile(imgs[i].RGB, b, 0o600); err != nil {
			return nil, err
		}
	}
	req, _ := json.Marshal(map[string]any{"images": imgs, "min_confidence": nodeMinConfidence, "backend": "wasm"})
	cmd := exec.Command("node", filepath.Join("tests", "golden", "bench_ssd.js"))
	cmd.Stdin, cmd.Stderr = bytes.NewReader(req), os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("bench_ssd.js: %w", err)
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
		return nil, fmt.Errorf("bench_ssd.js output: %w", err)
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
		r := scoreWider(s, fmt.Sprintf("face-api SSD, tfjs-wasm %d thread, minConfidence %.1f", resp.Threads, res.MinConfidence), found)
		r.msWall, r.msCPU = res.MsWall, res.MsCPU
		rs = append(rs, r)
	}
	return rs, nil
}
