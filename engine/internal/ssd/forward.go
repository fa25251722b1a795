package ssd

import (
	"fmt"

	"github.com/facegate/facegate/engine/internal/nn"
)

// state is the scratch memory of one inference. Activations alternate between two arenas
// (each layer reads one and writes the other), so the memory held is two of the largest
// layer outputs, not the sum of all layers; the head outputs are copied into enc and
// logits as soon as their feature map exists.
type state struct {
	arenas [2]nn.Arena
	next   int
	head   nn.Arena
	input  []float32 // up to MaxInputSize² × 3
	enc    []float32 // 4 box encodings per anchor (ty, tx, th, tw)
	logits []float32 // face logit (class 1) per anchor
	cands  []candidate
}

// Scratch sizes at the largest input (512): the largest layer output (pair 1's
// pointwise output, 256×256×64), the largest im2col buffer (the stem's 256²×27 patches)
// and the largest joined head output (32²×32).
const (
	largestActivation = 256 * 256 * 64
	largestPatches    = 256 * 256 * 27
	largestHead       = 32 * 32 * 32
)

func newState() *state {
	s := &state{
		input:  make([]float32, MaxInputSize*MaxInputSize*3),
		enc:    make([]float32, 4*numAnchors),
		logits: make([]float32, numAnchors),
	}
	// Size every buffer for the largest input once, so that no later call allocates
	// scratch, whatever the input size (Reset grows an arena to what the round used).
	for i := range s.arenas {
		s.arenas[i].Raw(largestActivation)
		s.arenas[i].Reset()
		s.arenas[i].Scratch(largestPatches)
	}
	s.head.Raw(largestHead)
	s.head.Reset()
	return s
}

// out returns the arena for the next layer output, emptied.
func (s *state) out() *nn.Arena {
	a := &s.arenas[s.next]
	s.next ^= 1
	a.Reset()
	return a
}

func (p pointwise) run(s *state, x nn.Tensor) (nn.Tensor, error) {
	return nn.ConvPacked(s.out(), x, p.filters, p.offset.Data, p.stride, nn.Same, true)
}

func (d depthwise) run(s *state, x nn.Tensor) (nn.Tensor, error) {
	return nn.DepthwiseAffineReLU6(s.out(), x, d.filters, d.stride, nn.Same, d.scale, d.shift)
}

// predict runs box predictor h on feature map f and stores its encodings and logits from
// anchor index first on.
func (h head) predict(s *state, f nn.Tensor, first int) (int, error) {
	s.head.Reset()
	out, err := nn.ConvPacked(&s.head, f, h.joined, h.joinedBias.Data, 1, nn.Same, false)
	if err != nil {
		return 0, err
	}
	n := f.H * f.W * h.anchors
	if first+n > len(s.logits) {
		return 0, fmt.Errorf("ssd: feature maps give more than %d anchors", len(s.logits))
	}
	// Per cell: 4·anchors encodings in (anchor, k) order, then 3·anchors logits; cells are
	// row-major, which is the order of the priors.
	a, c := h.anchors, out.C
	for p := range f.H * f.W {
		row := out.Data[p*c : (p+1)*c]
		copy(s.enc[4*(first+p*a):4*(first+(p+1)*a)], row[:4*a])
		for k := range a {
			s.logits[first+p*a+k] = row[4*a+3*k+1]
		}
	}
	return first + n, nil
}

// forward runs the network on the normalised input tensor, fills s.enc and s.logits and
// returns the number of anchors, which must equal want.
func (n *network) forward(s *state, x nn.Tensor, want int) (int, error) {
	s.next = 0
	cur, err := n.stem.run(s, x)
	if err != nil {
		return 0, fmt.Errorf("ssd stem: %w", err)
	}
	anchor := 0
	for i := range n.pairs {
		p := &n.pairs[i]
		if cur, err = p.dw.run(s, cur); err != nil {
			return 0, fmt.Errorf("ssd pair %d: %w", i+1, err)
		}
		if cur, err = p.pw.run(s, cur); err != nil {
			return 0, fmt.Errorf("ssd pair %d: %w", i+1, err)
		}
		if i+1 == 11 {
			if anchor, err = n.heads[0].predict(s, cur, anchor); err != nil {
				return 0, err
			}
		}
	}
	if anchor, err = n.heads[1].predict(s, cur, anchor); err != nil {
		return 0, err
	}
	for k := range n.extra {
		if cur, err = n.extra[k].run(s, cur); err != nil {
			return 0, fmt.Errorf("ssd extra layer %d: %w", k, err)
		}
		if k%2 == 1 {
			if anchor, err = n.heads[2+k/2].predict(s, cur, anchor); err != nil {
				return 0, err
			}
		}
	}
	if anchor != want {
		return 0, fmt.Errorf("ssd: %d anchors, want %d", anchor, want)
	}
	return anchor, nil
}
