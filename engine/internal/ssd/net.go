package ssd

import (
	"fmt"
	"math"

	"github.com/facegate/facegate/engine/internal/nn"
)

// bnEpsilon is the batch-norm epsilon of face-api's MobileNet v1 (float32 0.001).
const bnEpsilon = 0.0010000000474974513

// pointwise is a conv (1×1, or 3×3 for the stem and the stride-2 extra layers) plus the
// folded batch-norm offset, followed by ReLU6.
type pointwise struct {
	filters *nn.PackedFilter // laid out for nn.ConvPacked
	offset  *nn.Param
	stride  int
}

// depthwise is a 3×3 depthwise conv followed by batch norm (folded into a per-channel
// scale and shift) and ReLU6.
type depthwise struct {
	filters      *nn.Param
	scale, shift []float32
	stride       int
}

// head is one box predictor: 1×1 convs for the 4 box encodings and 3 class logits of each
// of its anchors. Both are joined at load time into one conv whose output channels are
// the 4·anchors encodings, then the 3·anchors logits, then zero columns up to a multiple
// of 16 (the GEMM micro-kernel's width).
type head struct {
	box, boxBias, cls, clsBias *nn.Param // as loaded; dropped once joined
	joined                     *nn.PackedFilter
	joinedBias                 *nn.Param
	anchors                    int
}

// join builds the joined filter and bias of h and drops the separate ones.
func (h *head) join() error {
	cin := h.box.Shape[2]
	nb, nc := 4*h.anchors, 3*h.anchors
	n := (nb + nc + 15) / 16 * 16
	f := &nn.Param{Shape: []int{1, 1, cin, n}, Data: make([]float32, cin*n)}
	for i := range cin {
		copy(f.Data[i*n:], h.box.Data[i*nb:(i+1)*nb])
		copy(f.Data[i*n+nb:], h.cls.Data[i*nc:(i+1)*nc])
	}
	b := &nn.Param{Shape: []int{n}, Data: make([]float32, n)}
	copy(b.Data, h.boxBias.Data)
	copy(b.Data[nb:], h.clsBias.Data)
	pf, err := nn.PackFilter(f)
	if err != nil {
		return err
	}
	h.joined, h.joinedBias = pf, b
	h.box, h.boxBias, h.cls, h.clsBias = nil, nil, nil, nil
	return nil
}

// network is face-api's SSD MobileNet v1: a MobileNet v1 backbone (13 depthwise/pointwise
// pairs), 8 extra layers and 6 box predictors (MODELS.md §8).
type network struct {
	stem  pointwise
	pairs [13]struct {
		dw depthwise
		pw pointwise
	}
	extra  [8]pointwise
	heads  [6]head
	priors priorCache // 4 floats per anchor: ymin, xmin, ymax, xmax (normalised)
}

// pairStride is the depthwise stride of backbone pair i (1-based).
func pairStride(i int) int {
	switch i {
	case 2, 4, 6, 12:
		return 2
	}
	return 1
}

// backboneChannels are the output channels of the stem and of pairs 1…13.
var backboneChannels = [14]int{32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024}

// extraShape lists the extra layers: kernel side and output channels (input channels are
// the previous layer's); odd layers are 3×3 stride 2.
var extraShape = [8][2]int{{1, 256}, {3, 512}, {1, 128}, {3, 256}, {1, 128}, {3, 256}, {1, 64}, {3, 128}}

// headChannels are the input channels of the six box predictors.
var headChannels = [6]int{512, 1024, 512, 256, 256, 128}

// numAnchors is the number of prior boxes at the 512×512 input (the most at any
// supported input size).
const numAnchors = 5118

func loadPointwise(w nn.Weights, prefix string, k, cin, cout, stride int) (pointwise, error) {
	f, err := w.Get(prefix+"/weights", k, k, cin, cout)
	if err != nil {
		return pointwise{}, err
	}
	b, err := w.Get(prefix+"/convolution_bn_offset", cout)
	if err != nil {
		return pointwise{}, err
	}
	pf, err := nn.PackFilter(f)
	if err != nil {
		return pointwise{}, fmt.Errorf("%s: %w", prefix, err)
	}
	return pointwise{filters: pf, offset: b, stride: stride}, nil
}

func loadDepthwise(w nn.Weights, prefix string, c, stride int) (depthwise, error) {
	d := depthwise{stride: stride, scale: make([]float32, c), shift: make([]float32, c)}
	var err error
	if d.filters, err = w.Get(prefix+"/depthwise_weights", 3, 3, c, 1); err != nil {
		return d, err
	}
	var bn [4]*nn.Param
	for i, n := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		if bn[i], err = w.Get(prefix+"/BatchNorm/"+n, c); err != nil {
			return d, err
		}
	}
	for i := range c {
		s := float64(bn[0].Data[i]) / math.Sqrt(float64(bn[3].Data[i])+bnEpsilon)
		d.scale[i] = float32(s)
		d.shift[i] = float32(float64(bn[1].Data[i]) - float64(bn[2].Data[i])*s)
	}
	return d, nil
}

func loadHead(w nn.Weights, j, cin int) (head, error) {
	h := head{anchors: 6}
	if j == 0 {
		h.anchors = 3
	}
	p := fmt.Sprintf("Prediction/BoxPredictor_%d/", j)
	var err error
	if h.box, err = w.Get(p+"BoxEncodingPredictor/weights", 1, 1, cin, 4*h.anchors); err != nil {
		return h, err
	}
	if h.boxBias, err = w.Get(p+"BoxEncodingPredictor/biases", 4*h.anchors); err != nil {
		return h, err
	}
	if h.cls, err = w.Get(p+"ClassPredictor/weights", 1, 1, cin, 3*h.anchors); err != nil {
		return h, err
	}
	if h.clsBias, err = w.Get(p+"ClassPredictor/biases", 3*h.anchors); err != nil {
		return h, err
	}
	if err := h.join(); err != nil {
		return h, fmt.Errorf("%s: %w", p, err)
	}
	return h, nil
}

// newNetwork checks and collects the SSD weights by name.
func newNetwork(w nn.Weights) (*network, error) {
	n := &network{}
	var err error
	if n.stem, err = loadPointwise(w, "MobilenetV1/Conv2d_0_pointwise", 3, 3, 32, 2); err != nil {
		return nil, err
	}
	for i := 1; i <= 13; i++ {
		cin, cout := backboneChannels[i-1], backboneChannels[i]
		p := &n.pairs[i-1]
		if p.dw, err = loadDepthwise(w, fmt.Sprintf("MobilenetV1/Conv2d_%d_depthwise", i), cin, pairStride(i)); err != nil {
			return nil, err
		}
		if p.pw, err = loadPointwise(w, fmt.Sprintf("MobilenetV1/Conv2d_%d_pointwise", i), 1, cin, cout, 1); err != nil {
			return nil, err
		}
	}
	cin := 1024
	for k, s := range extraShape {
		if n.extra[k], err = loadPointwise(w, fmt.Sprintf("Prediction/Conv2d_%d_pointwise", k), s[0], cin, s[1], 1+k%2); err != nil {
			return nil, err
		}
		cin = s[1]
	}
	for j, c := range headChannels {
		if n.heads[j], err = loadHead(w, j, c); err != nil {
			return nil, err
		}
	}
	pr, err := w.Get("Output/extra_dim", 1, numAnchors, 4)
	if err != nil {
		return nil, err
	}
	n.priors.stored = pr.Data
	return n, nil
}

// params counts the float32 values the network holds.
func (n *network) params() int {
	c := n.stem.filters.Floats() + len(n.priors.stored)
	for _, p := range n.pairs {
		c += len(p.dw.filters.Data) + 2*len(p.dw.scale) + p.pw.filters.Floats()
	}
	for _, e := range n.extra {
		c += e.filters.Floats()
	}
	for _, h := range n.heads {
		c += h.joined.Floats() + len(h.joinedBias.Data)
	}
	return c
}
