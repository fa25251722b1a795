package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// Default limits, used for zero fields of Limits.
const (
	DefaultMaxBytes  = 10 << 20   // 10 MiB
	DefaultMaxPixels = 25_000_000 // 25 Mpx: a 40 Mpx image is refused
)

// Limits bounds the work Decode accepts. A zero field takes its default.
type Limits struct {
	MaxBytes  int64 // largest accepted input, in bytes
	MaxPixels int64 // largest accepted width×height, checked from the header before decoding
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	return l
}

// Image is a decoded, oriented image plus its working-resolution grayscale.
type Image struct {
	// Img is the decoded image as displayed (EXIF orientation applied as a view, no copy).
	// Its bounds start at (0, 0) when an orientation other than 1 applies.
	Img image.Image
	// Width and Height are the oriented ORIGINAL size in pixels.
	Width, Height int
	// Format is one of FormatJPEG, FormatPNG, FormatGIF, FormatBMP, FormatWebP
	// ("" for images wrapped by FromImage).
	Format string
	// Orientation is the EXIF orientation that was applied (1..8; 1 when absent).
	Orientation int
	// Gray is the working-resolution grayscale detection runs on: GrayStride×GrayStride
	// bytes, the oriented image box-filtered to GrayWidth×GrayHeight (long side at most
	// WorkingSide) in the top-left corner, zero elsewhere (see Working).
	Gray                              []uint8
	GrayWidth, GrayHeight, GrayStride int
	// Scale is the number of original pixels per working pixel (≥ 1): multiply working
	// coordinates by Scale to get original ones.
	Scale float64
}

func newImage(img image.Image, w, h int, format string, o int) *Image {
	wk := NewWorking(img, o)
	return &Image{Img: Orient(img, o), Width: w, Height: h, Format: format, Orientation: o,
		Gray: wk.Pix, GrayWidth: wk.W, GrayHeight: wk.H, GrayStride: wk.Stride, Scale: wk.Scale}
}

type codec struct {
	config func(*bytes.Reader) (image.Config, error)
	decode func(*bytes.Reader) (image.Image, error)
}

var codecs = map[string]codec{
	FormatJPEG: {func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) },
		func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }},
	FormatPNG: {func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) },
		func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }},
	FormatGIF: {func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) },
		func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }},
	FormatBMP: {func(r *bytes.Reader) (image.Config, error) { return bmp.DecodeConfig(r) },
		func(r *bytes.Reader) (image.Image, error) { return bmp.Decode(r) }},
	FormatWebP: {func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) },
		func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) }},
}

// Decode checks, decodes and orients untrusted image bytes and computes the working
// grayscale. Errors wrap ErrUnsupported, ErrTooLarge or ErrCorrupt and never contain
// image bytes. It never panics.
func Decode(data []byte, lim Limits) (*Image, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("decode image: %w: %d bytes exceeds the %d byte limit", ErrTooLarge, len(data), lim.MaxBytes)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("decode image: %w: empty input", ErrCorrupt)
	}
	format, jp2 := sniff(data)
	if format == "" {
		if jp2 {
			return nil, fmt.Errorf("decode image: %w: JPEG 2000 is not supported", ErrUnsupported)
		}
		return nil, fmt.Errorf("decode image: %w: accepted formats are JPEG, PNG, GIF, BMP and WebP", ErrUnsupported)
	}
	c := codecs[format]
	cfg, err := safeConfig(c, data)
	if err != nil {
		return nil, fmt.Errorf("decode %s header: %w", format, classify(err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("decode %s header: %w: empty %dx%d image", format, ErrCorrupt, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, fmt.Errorf("decode %s header: %w: %dx%d is %d pixels, limit %d", format, ErrTooLarge, cfg.Width, cfg.Height, px, lim.MaxPixels)
	}
	img, err := safeDecode(c, data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", format, classify(err))
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("decode %s: %w: decoded size %dx%d differs from header %dx%d", format, ErrCorrupt, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	o := 1
	if format == FormatJPEG {
		o = jpegOrientation(data)
	}
	w, h := orientedSize(cfg.Width, cfg.Height, o)
	return newImage(img, w, h, format, o), nil
}

// FromImage wraps an already decoded, upright image for detection (no limits applied
// beyond those the caller enforced; the grayscale is still at most WorkingSide on a side).
func FromImage(img image.Image) *Image {
	b := img.Bounds()
	return newImage(img, b.Dx(), b.Dy(), "", 1)
}

// classify maps a decoder error to ErrUnsupported (a valid file using a feature the
// decoder lacks) or ErrCorrupt. Decoder messages are fixed strings, never image bytes.
func classify(err error) error {
	var ue jpeg.UnsupportedError
	var pe png.UnsupportedError
	if errors.As(err, &ue) || errors.As(err, &pe) || errors.Is(err, bmp.ErrUnsupported) {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

func safeConfig(c codec, data []byte) (cfg image.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("decoder panicked on malformed header")
		}
	}()
	return c.config(bytes.NewReader(data))
}

func safeDecode(c codec, data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, errors.New("decoder panicked on malformed data")
		}
	}()
	return c.decode(bytes.NewReader(data))
}

// Pixels reads only the header of untrusted image bytes and returns the
// image's width×height, without decoding it (to budget work before it is
// done). It fails as Decode would on an unsupported or corrupt header.
func Pixels(data []byte) (int64, error) {
	format, _ := sniff(data)
	if format == "" {
		return 0, fmt.Errorf("image header: %w", ErrUnsupported)
	}
	cfg, err := safeConfig(codecs[format], data)
	if err != nil {
		return 0, fmt.Errorf("decode %s header: %w", format, classify(err))
	}
	return int64(max(cfg.Width, 0)) * int64(max(cfg.Height, 0)), nil
}
