// Package pipeline joins the face engine's stages into the service.Analyzer
// that the SkyBiometry methods use: safe decoding (imageio) → pigo detection
// with eye/nose/mouth landmarks and pose (detect) → 68 CNN landmarks →
// aligned chip → 128-D descriptor, age/gender and expression (faceapi). Faces
// found in the aggressive mode are described with faceapi.AggressiveOptions
// (two alignments, 4 descriptor passes), in normal with faceapi.DefaultOptions.
//
// The cascades and the networks are parsed once per process and shared; an
// Analyzer is safe for concurrent use.
package pipeline
