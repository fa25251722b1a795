package faceapi

import (
	"fmt"

	"github.com/facegate/facegate/engine/internal/nn"
)

// ChipSize is the side of the descriptor network's input.
const ChipSize = 150

// convUnit is a conv followed by a per-channel affine (the scale layer standing in for
// batch norm): y = (conv(x)+b)·s + t. The affine is folded into the conv at load time:
// filters·s and b·s + t, which changes results only at float32 rounding level.
type convUnit struct {
	filters, bias *nn.Param
}

// resBlock is a residual block (two 3×3 conv units); down blocks halve the resolution.
type resBlock struct {
	conv1, conv2 convUnit
	down         bool
}

// recognitionNet is face-api's FaceRecognitionNet, a port of dlib's ResNet-29.
type recognitionNet struct {
	stem   convUnit
	blocks []resBlock
	fc     *nn.Param
}

func loadConvUnit(w nn.Weights, prefix string, k, cin, cout int) (convUnit, error) {
	var u convUnit
	var err error
	if u.filters, err = w.Get(prefix+"/conv/filters", k, k, cin, cout); err != nil {
		return u, err
	}
	if u.bias, err = w.Get(prefix+"/conv/bias", cout); err != nil {
		return u, err
	}
	s, err := w.Get(prefix+"/scale/weights", cout)
	if err != nil {
		return u, err
	}
	t, err := w.Get(prefix+"/scale/biases", cout)
	if err != nil {
		return u, err
	}
	u.filters, u.bias = foldScale(u.filters, u.bias, s.Data, t.Data)
	return u, nil
}

func newRecognitionNet(w nn.Weights) (*recognitionNet, error) {
	n := &recognitionNet{}
	var err error
	if n.stem, err = loadConvUnit(w, "conv32_down", 7, 3, 32); err != nil {
		return nil, err
	}
	layout := []struct {
		name      string
		cin, cout int
		down      bool
	}{
		{"conv32_1", 32, 32, false}, {"conv32_2", 32, 32, false}, {"conv32_3", 32, 32, false},
		{"conv64_down", 32, 64, true}, {"conv64_1", 64, 64, false}, {"conv64_2", 64, 64, false}, {"conv64_3", 64, 64, false},
		{"conv128_down", 64, 128, true}, {"conv128_1", 128, 128, false}, {"conv128_2", 128, 128, false},
		{"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false}, {"conv256_2", 256, 256, false},
		{"conv256_down_out", 256, 256, true},
	}
	for _, l := range layout {
		b := resBlock{down: l.down}
		if b.conv1, err = loadConvUnit(w, l.name+"/conv1", 3, l.cin, l.cout); err != nil {
			return nil, err
		}
		if b.conv2, err = loadConvUnit(w, l.name+"/conv2", 3, l.cout, l.cout); err != nil {
			return nil, err
		}
		n.blocks = append(n.blocks, b)
	}
	if n.fc, err = w.Get("fc", 256, 128); err != nil {
		return nil, err
	}
	return n, nil
}

func (u *convUnit) apply(a *nn.Arena, x nn.Tensor, stride int, pad nn.Padding, relu bool) (nn.Tensor, error) {
	y, err := nn.Conv2D(a, x, u.filters, u.bias, stride, pad)
	if err != nil {
		return y, err
	}
	if relu {
		nn.ReLU(y.Data)
	}
	return y, nil
}

func (b *resBlock) apply(a *nn.Arena, x nn.Tensor) (nn.Tensor, error) {
	if !b.down {
		h, err := b.conv1.apply(a, x, 1, nn.Same, true)
		if err != nil {
			return h, err
		}
		if h, err = b.conv2.apply(a, h, 1, nn.Same, false); err != nil {
			return h, err
		}
		nn.Add(h.Data, x.Data)
		nn.ReLU(h.Data)
		return h, nil
	}
	h, err := b.conv1.apply(a, x, 2, nn.Valid, true)
	if err != nil {
		return h, err
	}
	if h, err = b.conv2.apply(a, h, 1, nn.Same, false); err != nil {
		return h, err
	}
	// Shortcut: 2×2 average pool, zero channels appended; the conv branch, one pixel
	// smaller in the last two down blocks, is zero-padded at the bottom/right (face-api).
	q := nn.AvgPool(a, x, 2, 2)
	out := a.Tensor(q.H, q.W, h.C)
	for y := 0; y < q.H; y++ {
		for x := 0; x < q.W; x++ {
			dst := out.Data[(y*q.W+x)*h.C : (y*q.W+x+1)*h.C]
			copy(dst, q.Data[(y*q.W+x)*q.C:(y*q.W+x+1)*q.C])
			if y < h.H && x < h.W {
				nn.Add(dst, h.Data[(y*h.W+x)*h.C:(y*h.W+x+1)*h.C])
			}
		}
	}
	nn.ReLU(out.Data)
	return out, nil
}

// forward computes the 128-D descriptor of a normalised 150×150×3 input.
func (n *recognitionNet) forward(a *nn.Arena, x nn.Tensor) ([128]float32, error) {
	var d [128]float32
	if x.H != ChipSize || x.W != ChipSize || x.C != 3 {
		return d, fmt.Errorf("recognition: input %dx%dx%d, want 150x150x3", x.H, x.W, x.C)
	}
	h, err := n.stem.apply(a, x, 2, nn.Valid, true)
	if err != nil {
		return d, err
	}
	h = nn.MaxPool(a, h, 3, 2, nn.Valid)
	for i := range n.blocks {
		if h, err = n.blocks[i].apply(a, h); err != nil {
			return d, err
		}
	}
	g := nn.AvgPool(a, h, h.H, 1) // global mean over the 2×2 map
	y, err := nn.FC(a, g.Data, n.fc, nil)
	if err != nil {
		return d, err
	}
	copy(d[:], y)
	return d, nil
}

// foldScale returns copies of a [kh,kw,cin,cout] filter and its bias with the per-output
// channel affine (scale s, shift t) folded in.
func foldScale(f, b *nn.Param, s, t []float32) (*nn.Param, *nn.Param) {
	cout := len(s)
	nf := &nn.Param{Shape: f.Shape, Data: make([]float32, len(f.Data))}
	for i, v := range f.Data {
		nf.Data[i] = v * s[i%cout]
	}
	nb := &nn.Param{Shape: b.Shape, Data: make([]float32, cout)}
	for c := range cout {
		nb.Data[c] = b.Data[c]*s[c] + t[c]
	}
	return nf, nb
}
