package imageio

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
)

// gradient returns a w×h RGBA test image whose top-left 8×8 block is white and the rest
// a dark gradient, so that orientation and scaling are visible.
func gradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8((x + y) % 64)
			if x < 8 && y < 8 {
				v = 255
			}
			m.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	return m
}

func encode(t *testing.T, format string, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case FormatJPEG:
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95})
	case FormatPNG:
		err = png.Encode(&buf, m)
	case FormatGIF:
		err = gif.Encode(&buf, m, nil)
	case FormatBMP:
		err = bmp.Encode(&buf, m)
	case FormatWebP:
		b := m.Bounds()
		return solidWebP(b.Dx(), b.Dy(), 200, 100, 50)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// bitWriter writes the LSB-first bit stream of VP8L.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
	}
	return w.buf
}

// solidWebP builds a lossless (VP8L) WebP of one colour: every prefix code is a "simple"
// one-symbol code, so the pixels take no bits. No WebP encoder ships with x/image.
func solidWebP(w, h int, r, g, b uint8) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)
	bw.write(uint64(w-1), 14)
	bw.write(uint64(h-1), 14)
	bw.write(0, 1)                                 // alpha unused
	bw.write(0, 3)                                 // version
	bw.write(0, 1)                                 // no transform
	bw.write(0, 1)                                 // no colour cache
	bw.write(0, 1)                                 // no meta prefix codes
	for _, sym := range []uint8{g, r, b, 255, 0} { // green, red, blue, alpha, distance
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // 8-bit symbol
		bw.write(uint64(sym), 8)
	}
	data := bw.bytes()
	if len(data)%2 == 1 {
		data = append(data, 0)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+8+len(data)))
	out = append(out, "WEBPVP8L"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	return append(out, data...)
}

// pngHeader returns a PNG signature and IHDR claiming w×h RGB, then a tiny IDAT and IEND.
func pngHeader(w, h uint32) []byte {
	chunk := func(out []byte, typ string, body []byte) []byte {
		out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
		tb := append([]byte(typ), body...)
		out = append(out, tb...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(tb))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = chunk(out, "IHDR", ihdr)
	out = chunk(out, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	return chunk(out, "IEND", nil)
}

// withOrientation inserts an APP1 Exif segment with orientation o right after the SOI of
// a JPEG; bigEndian selects the "MM" or "II" TIFF byte order.
func withOrientation(jpg []byte, o uint16, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiff := []byte("II*\x00")
	if bigEndian {
		bo, tiff = binary.BigEndian, []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 2) // two entries: Make (ignored), then Orientation
	tiff = bo.AppendUint16(tiff, 0x010F)
	tiff = bo.AppendUint16(tiff, 2)
	tiff = bo.AppendUint32(tiff, 0)
	tiff = bo.AppendUint32(tiff, 0)
	tiff = bo.AppendUint16(tiff, 0x0112)
	tiff = bo.AppendUint16(tiff, 3)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}
