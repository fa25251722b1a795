// Package faceapi embeds the face-api model files (tfjs weight manifests and .bin weights)
// from the npm package @vladmandic/face-api@1.7.15, so that the binary works offline. See
// NOTICE for origin, license and checksums, and fetch.sh to re-derive them.
package faceapi

import "embed"

// Files holds every model file of this folder: <name>-weights_manifest.json and <name>.bin
// for face_recognition_model, face_landmark_68_model, age_gender_model,
// face_expression_model and ssd_mobilenetv1_model.
//
//go:embed *.bin *.json
var Files embed.FS
