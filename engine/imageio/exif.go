package imageio

import "encoding/binary"

// maxJPEGSegments bounds the marker walk in jpegOrientation.
const maxJPEGSegments = 128

// jpegOrientation returns the EXIF orientation (1..8) found in a JPEG's APP1 "Exif"
// segment, or 1 when there is none or it is malformed. It walks the marker segments
// before the first scan only, with every offset bounds-checked; it never panics.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	p := 2
	for seg := 0; seg < maxJPEGSegments && p+4 <= len(b); seg++ {
		if b[p] != 0xFF {
			return 1
		}
		marker := b[p+1]
		switch {
		case marker == 0xFF: // fill byte
			p++
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 1
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // no length field
			p += 2
			continue
		}
		n := int(b[p+2])<<8 | int(b[p+3])
		if n < 2 || p+2+n > len(b) {
			return 1
		}
		if marker == 0xE1 {
			if o := exifOrientation(b[p+4 : p+2+n]); o != 0 {
				return o
			}
		}
		p += 2 + n
	}
	return 1
}

// exifOrientation reads tag 0x0112 from IFD0 of an APP1 payload ("Exif\0\0" + TIFF).
// It returns 0 when the payload is not Exif or holds no valid orientation.
func exifOrientation(seg []byte) int {
	if len(seg) < 14 || string(seg[:6]) != "Exif\x00\x00" {
		return 0
	}
	t := seg[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 0
	}
	entries := int64(bo.Uint16(t[ifd:]))
	for i := int64(0); i < entries; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// Orientation is one SHORT (type 3) stored inline in the value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 0
		}
		if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}
