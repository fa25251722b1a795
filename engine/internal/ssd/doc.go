// Package ssd runs face-api's SSD MobileNet v1 face detector (@vladmandic/face-api
// 1.7.15, MIT; weights embedded from engine/models/faceapi) on the pure-Go runtime in
// engine/internal/nn.
//
// The network follows shared/docs/MODELS.md §8: a MobileNet v1 backbone (a 3×3 stride-2
// stem and 13 depthwise/pointwise pairs with batch norm and ReLU6), eight extra layers and
// six box predictors over feature maps of 32², 16², 8², 4², 2² and 1² cells, 5118 anchors
// whose prior boxes are read from the weight file. Pre- and post-processing reproduce
// face-api's tensor-input path: the region is zero-padded at the bottom or right to a
// square, resized to 512×512 with legacy bilinear sampling and scaled to −1…1; box
// encodings are decoded against the priors, the face score is the sigmoid of class logit
// 1, greedy non-maximum suppression drops boxes overlapping a better one by IoU > 0.5, and
// boxes are clamped to the padded square before being mapped back to pixels.
//
// A golden test compares boxes and scores with the JavaScript reference on real photos
// (testdata/golden.json, written by tests/golden/golden.js --ssd).
//
// Typical use:
//
//	net, err := ssd.Load()
//	dets, err := net.Detect(img, img.Bounds(), ssd.Options{MinConfidence: 0.3})
//
// Per call the work is one inference at the chosen input size (at most 512×512) whatever
// the image size: the input is sampled straight from the image (at most four source
// pixels per input pixel), and the scratch memory (input, two activation buffers, im2col
// and head outputs) is kept in a bounded free list and reused.
package ssd
