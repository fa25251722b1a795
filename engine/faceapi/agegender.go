package faceapi

import "github.com/facegate/facegate/engine/internal/nn"

// reductionBlock halves the resolution: two separable convs, a 3×3 max pool and a strided
// 1×1 expansion conv on the shortcut.
type reductionBlock struct {
	sep0, sep1   sepConv
	expand, expB *nn.Param
	reluInput    bool
}

// ageGenderNet is face-api's TinyXception age/gender net.
type ageGenderNet struct {
	convIn, convInB *nn.Param
	entry           [2]reductionBlock
	middle          [2][3]sepConv
	exit            reductionBlock
	exitSep         sepConv
	ageW, ageB      *nn.Param
	genW, genB      *nn.Param
}

func loadReduction(w nn.Weights, p string, cin, cout int, reluInput bool) (reductionBlock, error) {
	r := reductionBlock{reluInput: reluInput}
	var err error
	if r.sep0, err = loadSep(w, p+"/separable_conv0", cin, cout); err != nil {
		return r, err
	}
	if r.sep1, err = loadSep(w, p+"/separable_conv1", cout, cout); err != nil {
		return r, err
	}
	if r.expand, err = w.Get(p+"/expansion_conv/filters", 1, 1, cin, cout); err != nil {
		return r, err
	}
	r.expB, err = w.Get(p+"/expansion_conv/bias", cout)
	return r, err
}

func newAgeGenderNet(w nn.Weights) (*ageGenderNet, error) {
	n := &ageGenderNet{}
	var err error
	if n.convIn, err = w.Get("entry_flow/conv_in/filters", 3, 3, 3, 32); err != nil {
		return nil, err
	}
	if n.convInB, err = w.Get("entry_flow/conv_in/bias", 32); err != nil {
		return nil, err
	}
	if n.entry[0], err = loadReduction(w, "entry_flow/reduction_block_0", 32, 64, false); err != nil {
		return nil, err
	}
	if n.entry[1], err = loadReduction(w, "entry_flow/reduction_block_1", 64, 128, true); err != nil {
		return nil, err
	}
	for i := range n.middle {
		for k := range n.middle[i] {
			p := "middle_flow/main_block_" + string(rune('0'+i)) + "/separable_conv" + string(rune('0'+k))
			if n.middle[i][k], err = loadSep(w, p, 128, 128); err != nil {
				return nil, err
			}
		}
	}
	if n.exit, err = loadReduction(w, "exit_flow/reduction_block", 128, 256, true); err != nil {
		return nil, err
	}
	if n.exitSep, err = loadSep(w, "exit_flow/separable_conv", 256, 512); err != nil {
		return nil, err
	}
	if n.ageW, err = w.Get("fc/age/weights", 512, 1); err != nil {
		return nil, err
	}
	if n.ageB, err = w.Get("fc/age/bias", 1); err != nil {
		return nil, err
	}
	if n.genW, err = w.Get("fc/gender/weights", 512, 2); err != nil {
		return nil, err
	}
	n.genB, err = w.Get("fc/gender/bias", 2)
	return n, err
}

func (r *reductionBlock) apply(a *nn.Arena, x nn.Tensor) (nn.Tensor, error) {
	in := x
	if r.reluInput {
		in = a.Tensor(x.H, x.W, x.C)
		copy(in.Data, x.Data)
		nn.ReLU(in.Data)
	}
	h, err := r.sep0.apply(a, in, 1)
	if err != nil {
		return h, err
	}
	nn.ReLU(h.Data)
	if h, err = r.sep1.apply(a, h, 1); err != nil {
		return h, err
	}
	h = nn.MaxPool(a, h, 3, 2, nn.Same)
	s, err := nn.Conv2D(a, x, r.expand, r.expB, 2, nn.Same)
	if err != nil {
		return s, err
	}
	nn.Add(h.Data, s.Data)
	return h, nil
}

// forward returns the raw age and the [male, female] probabilities.
func (n *ageGenderNet) forward(a *nn.Arena, x nn.Tensor) (float32, [2]float32, error) {
	var g [2]float32
	h, err := nn.Conv2D(a, x, n.convIn, n.convInB, 2, nn.Same)
	if err != nil {
		return 0, g, err
	}
	nn.ReLU(h.Data)
	for i := range n.entry {
		if h, err = n.entry[i].apply(a, h); err != nil {
			return 0, g, err
		}
	}
	for i := range n.middle {
		t := h
		for k := range n.middle[i] {
			in := a.Tensor(t.H, t.W, t.C)
			copy(in.Data, t.Data)
			nn.ReLU(in.Data)
			if t, err = n.middle[i][k].apply(a, in, 1); err != nil {
				return 0, g, err
			}
		}
		nn.Add(t.Data, h.Data)
		h = t
	}
	if h, err = n.exit.apply(a, h); err != nil {
		return 0, g, err
	}
	if h, err = n.exitSep.apply(a, h, 1); err != nil {
		return 0, g, err
	}
	nn.ReLU(h.Data)
	p := nn.AvgPool(a, h, 7, 2)
	age, err := nn.FC(a, p.Data, n.ageW, n.ageB)
	if err != nil {
		return 0, g, err
	}
	gen, err := nn.FC(a, p.Data, n.genW, n.genB)
	if err != nil {
		return 0, g, err
	}
	nn.Softmax(gen)
	copy(g[:], gen)
	return age[0], g, nil
}
