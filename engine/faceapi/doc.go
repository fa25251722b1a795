// Package faceapi runs the face networks of @vladmandic/face-api 1.7.15 on the pure-Go
// runtime in engine/nn: the 68-point landmark net, the ResNet-29 face descriptor (dlib's
// network, 150×150 → 128-D), age/gender and expression. Weights come embedded from
// engine/models/faceapi.
//
// The networks reproduce face-api's pre- and post-processing (see
// shared/docs/MODELS.md): centred zero padding to a square, legacy bilinear resize,
// per-channel mean and /255 normalisation. Golden tests compare the outputs with those of
// the JavaScript reference on committed synthetic inputs.
//
// For descriptors, Descriptor aligns the face with a similarity transform (rotation, scale,
// translation) computed from the eyes and mouth, which measured better on LFW than
// face-api's crop-only chip; the crop-only chip stays available as CropChip for parity.
package faceapi
