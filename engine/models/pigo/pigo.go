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

// Landmark cascades (cascade/lps) used by engine/detect: lp93 (nose tip), lp81 and lp82
// (upper and lower lip).
var (
	//go:embed lp81
	lp81 []byte
	//go:embed lp82
	lp82 []byte
	//go:embed lp93
	lp93 []byte
)

// Landmark returns the embedded landmark cascade with pigo's file name (e.g. "lp93"),
// or nil when it is not shipped (lp38, lp42, lp44, lp46, lp84 and lp312 are not).
func Landmark(name string) []byte {
	switch name {
	case "lp81":
		return lp81
	case "lp82":
		return lp82
	case "lp93":
		return lp93
	}
	return nil
}
