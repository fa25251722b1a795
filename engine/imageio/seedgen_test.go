package imageio

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteSeedCorpus regenerates testdata/fuzz when FACEGATE_WRITE_FUZZ_SEEDS=1.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("FACEGATE_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set FACEGATE_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(target, name string, data []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range []string{FormatJPEG, FormatPNG, FormatGIF, FormatBMP, FormatWebP} {
		write("FuzzDecode", "seed-"+format, encode(t, format, gradient(9, 7)))
	}
	write("FuzzDecode", "seed-jpeg-exif6", withOrientation(encode(t, FormatJPEG, gradient(9, 7)), 6, true))
	write("FuzzDecode", "seed-png-bomb", pngHeader(40000, 1000))
	write("FuzzDecode", "seed-jp2", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"))
	write("FuzzJPEGOrientation", "seed-exif6-le", withOrientation([]byte{0xFF, 0xD8, 0xFF, 0xD9}, 6, false))
	write("FuzzJPEGOrientation", "seed-exif8-be", withOrientation([]byte{0xFF, 0xD8, 0xFF, 0xD9}, 8, true))
}
