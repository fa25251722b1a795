package faceapi

import (
	"fmt"

	"github.com/facegate/facegate/engine/internal/nn"
)

// FaceNetSize is the input side of the landmark, expression and age/gender nets.
const FaceNetSize = 112

// sepConv is a depthwise 3×3 + pointwise 1×1 + bias convolution.
type sepConv struct{ dw, pw, bias *nn.Param }

func loadSep(w nn.Weights, prefix string, cin, cout int) (sepConv, error) {
	var s sepConv
	var err error
	if s.dw, err = w.Get(prefix+"/depthwise_filter", 3, 3, cin, 1); err != nil {
		return s, err
	}
	if s.pw, err = w.Get(prefix+"/pointwise_filter", 1, 1, cin, cout); err != nil {
		return s, err
	}
	s.bias, err = w.Get(prefix+"/bias", cout)
	return s, err
}

func (s *sepConv) apply(a *nn.Arena, x nn.Tensor, stride int) (nn.Tensor, error) {
	return nn.Separable(a, x, s.dw, s.pw, s.bias, stride)
}

// denseBlock is face-api's 4-conv dense block; block 0 starts with a full 3×3 conv.
type denseBlock struct {
	first        *nn.Param // full conv filters (block 0 only)
	firstBias    *nn.Param
	conv0        sepConv // used when first is nil
	conv1, conv2 sepConv
	conv3        sepConv
}

// denseNet is the feature extractor shared by the 68-point landmark net and the
// expression net, followed by a fully connected head.
type denseNet struct {
	blocks [4]denseBlock
	fcW    *nn.Param
	fcB    *nn.Param
}

func newDenseNet(w nn.Weights, outputs int) (*denseNet, error) {
	n := &denseNet{}
	chans := [5]int{3, 32, 64, 128, 256}
	var err error
	for i := range n.blocks {
		b := &n.blocks[i]
		p := fmt.Sprintf("dense%d/", i)
		cin, cout := chans[i], chans[i+1]
		if i == 0 {
			if b.first, err = w.Get(p+"conv0/filters", 3, 3, cin, cout); err != nil {
				return nil, err
			}
			if b.firstBias, err = w.Get(p+"conv0/bias", cout); err != nil {
				return nil, err
			}
		} else if b.conv0, err = loadSep(w, p+"conv0", cin, cout); err != nil {
			return nil, err
		}
		for k, dst := range []*sepConv{&b.conv1, &b.conv2, &b.conv3} {
			if *dst, err = loadSep(w, fmt.Sprintf("%sconv%d", p, k+1), cout, cout); err != nil {
				return nil, err
			}
		}
	}
	if n.fcW, err = w.Get("fc/weights", 256, outputs); err != nil {
		return nil, err
	}
	if n.fcB, err = w.Get("fc/bias", outputs); err != nil {
		return nil, err
	}
	return n, nil
}

func (b *denseBlock) apply(a *nn.Arena, x nn.Tensor) (nn.Tensor, error) {
	var o1 nn.Tensor
	var err error
	if b.first != nil {
		o1, err = nn.Conv2D(a, x, b.first, b.firstBias, 2, nn.Same)
	} else {
		o1, err = b.conv0.apply(a, x, 2)
	}
	if err != nil {
		return o1, err
	}
	nn.ReLU(o1.Data)
	o2, err := b.conv1.apply(a, o1, 1)
	if err != nil {
		return o2, err
	}
	sum := a.Tensor(o1.H, o1.W, o1.C)
	copy(sum.Data, o1.Data)
	nn.Add(sum.Data, o2.Data)
	in := a.Tensor(sum.H, sum.W, sum.C)
	for _, c := range []*sepConv{&b.conv2, &b.conv3} {
		copy(in.Data, sum.Data)
		nn.ReLU(in.Data)
		o, err := c.apply(a, in, 1)
		if err != nil {
			return o, err
		}
		nn.Add(sum.Data, o.Data)
	}
	nn.ReLU(sum.Data)
	return sum, nil
}

// forward returns the FC head's raw output for a normalised 112×112×3 input.
func (n *denseNet) forward(a *nn.Arena, x nn.Tensor) ([]float32, error) {
	h := x
	var err error
	for i := range n.blocks {
		if h, err = n.blocks[i].apply(a, h); err != nil {
			return nil, err
		}
	}
	g := nn.AvgPool(a, h, 7, 2)
	return nn.FC(a, g.Data, n.fcW, n.fcB)
}
