// Package pigo embeds the pigo v1.4.6 cascade files (MIT, see NOTICE) so that one binary
// detects faces offline. The files are byte-identical copies of the pinned module's
// cascade directory; fetch.sh re-derives them and checks SHA256SUMS.
package pigo

import _ "embed"

// FaceFinder is the PICO face detection cascade (cascade/facefinder).
//
//go:embed facefinder
var FaceFinder []byte

// Puploc is the pupil localisation cascade (cascade/puploc).
//
//go:embed puploc
var Puploc []byte

// Landmark cascades (cascade/lps), keyed by pigo's file name.
var (
	//go:embed lp38
	lp38 []byte
	//go:embed lp42
	lp42 []byte
	//go:embed lp44
	lp44 []byte
	//go:embed lp46
	lp46 []byte
	//go:embed lp81
	lp81 []byte
	//go:embed lp82
	lp82 []byte
	//go:embed lp84
	lp84 []byte
	//go:embed lp93
	lp93 []byte
	//go:embed lp312
	lp312 []byte
)

// Landmark returns the embedded landmark cascade with pigo's file name (e.g. "lp93"),
// or nil when it is not shipped.
func Landmark(name string) []byte {
	switch name {
	case "lp38":
		return lp38
	case "lp42":
		return lp42
	case "lp44":
		return lp44
	case "lp46":
		return lp46
	case "lp81":
		return lp81
	case "lp82":
		return lp82
	case "lp84":
		return lp84
	case "lp93":
		return lp93
	case "lp312":
		return lp312
	}
	return nil
}
