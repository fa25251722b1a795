// Package nn is a small pure-Go (no cgo) inference runtime for the convolutional networks
// that facegate runs: it loads tfjs weight manifests with their uint8-quantised .bin files
// and provides the operators those networks need (2-D convolution with TensorFlow
// same/valid padding, depthwise-separable convolution, per-channel affine, ReLU and leaky
// ReLU, max and average pooling, residual add, fully connected layers, softmax).
//
// Tensors are single images in HWC (height, width, channel) order, the layout of tfjs with
// the batch dimension dropped. Filters keep the tfjs layout [kh, kw, cin, cout].
//
// Intermediate tensors come from an [Arena], a bump allocator that is reset between
// inferences, so a warmed-up network allocates nothing per call. Convolutions lower to a
// single-precision GEMM that splits its rows across goroutines. Networks that run often
// (the SSD detector) pack their filters once with [PackFilter] and convolve with
// [ConvPacked]: filter panels read in order, input steps that are zero for a whole output
// tile skipped, bias and ReLU6 applied in registers, with the same values as [Conv2D].
package nn
