// Package imageio decodes untrusted image bytes safely for the face engine.
//
// Decode accepts JPEG, PNG, GIF, BMP and WebP only (sniffed from the magic bytes, so the
// allowlist does not depend on which decoders other packages register with the image
// package); everything else, JPEG 2000 included, is ErrUnsupported. Before any full decode
// it checks the byte size and reads only the header (DecodeConfig) to refuse images whose
// width×height exceeds Limits.MaxPixels (decompression bombs) with ErrTooLarge. The JPEG EXIF
// orientation tag is parsed by a small bounded parser (exif.go) and applied without copying
// the decoded pixels: Image.Img is an oriented view.
//
// For detection, Decode also produces one grayscale buffer at working resolution: the
// oriented image box-filtered down so that its long side is at most WorkingSide (1024 px,
// as SkyBiometry does), with Image.Scale mapping working pixels back to original ones.
package imageio
