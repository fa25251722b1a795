// Package detect finds faces, their landmarks and head pose in an imageio.Image.
//
// Both modes find faces with face-api's SSD MobileNet v1 CNN (engine/internal/ssd, pure Go on
// engine/internal/nn): `normal` runs it once at a 416×416 input, `aggressive` at its trained
// 512×512 input with a lower score threshold plus a 416 pass for large faces, whose box a
// large face found by both takes when the image is nearer 416 than 512 px (see
// params.go for the settings and BENCHMARKS.md for how they were chosen). Of boxes that
// overlap by more than an IoU of 0.3 (normal) or 0.4 (aggressive), only the better-scoring
// one is kept: the SSD's own suppression at 0.5 lets through low-scoring boxes that
// straddle two neighbouring faces. Boxes whose shorter side is under 16 px are dropped:
// too small to landmark or recognise. The pure-Go pigo cascades
// (github.com/esimov/pigo v1.4.6, embedded from engine/models/pigo) then locate the pupils
// (puploc) and nose and mouth (flploc "lp" cascades) from a pigo-shaped window placed on
// each CNN box (turned to the eye line when the face is tilted), and roll, yaw and pitch
// are derived from their geometry. The pigo face cascade itself (an upright and a few
// rotated scans, clustered per angle, uncertain faces re-scored by a dense local scan)
// runs on images where the CNN found no face, and alone in the "cascade" mode. Every
// coordinate returned is in pixels of the ORIGINAL oriented image.
//
// A Detector parses the cascades and loads the CNN once and is safe for concurrent use.
//
// Per-request work is bounded: the CNN sees one fixed-size input sampled from the image,
// the cascades work on the working-resolution grayscale (long side ≤ 1024 px) with a
// floor on the window size, and the raw window list, the CNN boxes and the number of
// faces that get landmarks are capped.
package detect
