package imageio

import (
	"bytes"
	"errors"
)

// Errors returned by Decode, wrapped with %w and a short reason. They never carry image bytes.
var (
	// ErrUnsupported means the bytes are not one of the accepted formats (JPEG, PNG, GIF,
	// BMP, WebP); JPEG 2000 and anything unknown end here.
	ErrUnsupported = errors.New("unsupported image format")
	// ErrTooLarge means the input exceeds Limits.MaxBytes or its header claims more than
	// Limits.MaxPixels pixels; nothing was decoded.
	ErrTooLarge = errors.New("image too large")
	// ErrCorrupt means the format was recognised but its data could not be decoded.
	ErrCorrupt = errors.New("corrupt image")
)

// Format names reported in Image.Format.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatGIF  = "gif"
	FormatBMP  = "bmp"
	FormatWebP = "webp"
)

// sniff names the format from the leading magic bytes, or returns "" when it is not one
// that Decode accepts. jp2 reports whether the bytes look like JPEG 2000 (for a clearer
// error message only).
func sniff(b []byte) (format string, jp2 bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return FormatJPEG, false
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, false
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return FormatGIF, false
	case bytes.HasPrefix(b, []byte("BM")):
		return FormatBMP, false
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return FormatWebP, false
	case bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")),
		bytes.HasPrefix(b, []byte{0xFF, 0x4F, 0xFF, 0x51}):
		return "", true
	}
	return "", false
}
