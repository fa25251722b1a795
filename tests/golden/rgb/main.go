// Command rgb decodes photos with engine/imageio (the decoder the engine uses) and writes
// their pixels as raw RGB bytes, so that tests/golden/golden.js feeds the reference
// implementation exactly the pixels the Go tests see.
//
//	go run ./tests/golden/rgb -out DIR photo.jpg...
//
// For each photo it writes DIR/<n>.rgb (row-major, 3 bytes per pixel, n = argument index)
// and prints one JSON line {"file", "rgb", "width", "height", "sha256"}.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/imageio"
)

func main() {
	out := flag.String("out", "", "directory for the .rgb files")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: rgb -out DIR photo...")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for i, f := range flag.Args() {
		if err := dump(enc, f, filepath.Join(*out, fmt.Sprintf("%d.rgb", i))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func dump(enc *json.Encoder, file, dst string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading photo: %w", err)
	}
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		return fmt.Errorf("decoding %s: %w", file, err)
	}
	px := rgbBytes(faceapi.ToRGB(img.Img, img.Img.Bounds()))
	if err := os.WriteFile(dst, px, 0o644); err != nil {
		return fmt.Errorf("writing pixels: %w", err)
	}
	sum := sha256.Sum256(px)
	return enc.Encode(map[string]any{"file": file, "rgb": dst, "width": img.Width, "height": img.Height, "sha256": hex.EncodeToString(sum[:])})
}

// rgbBytes converts a float RGB image (integer values 0…255) to bytes.
func rgbBytes(m *faceapi.RGB) []byte {
	b := make([]byte, len(m.Pix))
	for i, v := range m.Pix {
		b[i] = byte(v)
	}
	return b
}
