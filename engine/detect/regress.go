package detect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// regressor is a pupil/landmark localisation cascade in pigo's puploc file
// format: a sequence of stages, each a forest of binary pixel-comparison
// trees whose leaves hold (row, col) offsets; after each stage the position
// moves by the summed offsets times the current scale, and the scale shrinks.
//
// pigo v1.4.6 runs these cascades too, but it jitters the start position
// with the process-global math/rand, so the same image gives different
// landmarks from call to call (and a different descriptor chip downstream).
// regressor is the same computation with a deterministic jitter: the same
// image and start position always give the same answer.
type regressor struct {
	stages, trees, depth int
	scaleStep            float32
	codes                []int8    // 4 per inner node: r1, c1, r2, c2 (in 1/256 of the scale)
	preds                []float32 // 2 per leaf: dr, dc
}

// parseRegressor decodes a puploc-format cascade.
func parseRegressor(b []byte) (*regressor, error) {
	if len(b) < 16 {
		return nil, errors.New("puploc cascade: truncated header")
	}
	r := &regressor{
		stages:    int(binary.LittleEndian.Uint32(b[0:])),
		scaleStep: math.Float32frombits(binary.LittleEndian.Uint32(b[4:])),
		trees:     int(binary.LittleEndian.Uint32(b[8:])),
		depth:     int(binary.LittleEndian.Uint32(b[12:])),
	}
	if r.stages <= 0 || r.stages > 64 || r.trees <= 0 || r.trees > 1024 || r.depth <= 0 || r.depth > 12 {
		return nil, fmt.Errorf("puploc cascade: implausible shape %d stages × %d trees of depth %d", r.stages, r.trees, r.depth)
	}
	leaves := 1 << r.depth
	perTree := 4*(leaves-1) + 8*leaves
	if want := 16 + r.stages*r.trees*perTree; len(b) != want {
		return nil, fmt.Errorf("puploc cascade: %d bytes, want %d", len(b), want)
	}
	n := r.stages * r.trees
	r.codes = make([]int8, 0, n*4*(leaves-1))
	r.preds = make([]float32, 0, n*2*leaves)
	pos := 16
	for t := 0; t < n; t++ {
		for _, c := range b[pos : pos+4*(leaves-1)] {
			r.codes = append(r.codes, int8(c))
		}
		pos += 4 * (leaves - 1)
		for i := 0; i < 2*leaves; i++ {
			r.preds = append(r.preds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
	}
	return r, nil
}

// regress runs the cascade once from (row, col) at scale s; flip mirrors
// the cascade's column offsets (for the other side of the face).
func (r *regressor) regress(row, col, s float32, img *grayView, flip bool) (float32, float32) {
	leaves := 1 << r.depth
	code, pred := 0, 0
	for st := 0; st < r.stages; st++ {
		var dr, dc float32
		si := int(math.Round(float64(s)))
		ir, ic := 256*int(row), 256*int(col)
		for t := 0; t < r.trees; t++ {
			node := r.codes[code : code+4*(leaves-1)]
			idx := 0
			for k := 0; k < r.depth; k++ {
				q := node[4*idx : 4*idx+4]
				c1, c2 := int(q[1]), int(q[3])
				if flip {
					c1, c2 = -c1, -c2
				}
				p1 := img.at((ir+int(q[0])*si)>>8, (ic+c1*si)>>8)
				p2 := img.at((ir+int(q[2])*si)>>8, (ic+c2*si)>>8)
				idx = 2*idx + 1
				if p1 > p2 {
					idx++
				}
			}
			leaf := pred + 2*(idx-(leaves-1))
			dr += r.preds[leaf]
			if flip {
				dc -= r.preds[leaf+1]
			} else {
				dc += r.preds[leaf+1]
			}
			code += 4 * (leaves - 1)
			pred += 2 * leaves
		}
		row += dr * s
		col += dc * s
		s *= r.scaleStep
	}
	return row, col
}

// locateMedian runs the cascade from n jittered starts around (row, col)
// (±7.5 % of the scale in position, ±7.5 % in scale, as pigo does) and
// returns the per-axis median. The jitter comes from a small PRNG seeded
// by the start itself, so the answer is a pure function of the image and
// the start.
func (r *regressor) locateMedian(row, col int, scale float32, n int, img *grayView, flip bool) (float32, float32) {
	rng := splitmix(uint64(row)<<40 ^ uint64(col)<<16 ^ uint64(math.Float32bits(scale)))
	if flip {
		rng ^= 0x9e3779b97f4a7c15
	}
	rows := make([]float32, n)
	cols := make([]float32, n)
	for i := 0; i < n; i++ {
		jr := float32(row) + scale*0.15*(0.5-rng.float())
		jc := float32(col) + scale*0.15*(0.5-rng.float())
		js := scale * (0.925 + 0.15*rng.float())
		rows[i], cols[i] = r.regress(jr, jc, js, img, flip)
	}
	slices.Sort(rows)
	slices.Sort(cols)
	return rows[n/2], cols[n/2]
}

// grayView is the working grayscale as the cascades read it, with
// coordinates clamped to the image.
type grayView struct {
	pix             []uint8
	rows, cols, dim int
}

func (g *grayView) at(r, c int) uint8 {
	r = min(g.rows-1, max(0, r))
	c = min(g.cols-1, max(0, c))
	return g.pix[r*g.dim+c]
}

// splitmix is a SplitMix64 generator: tiny, fast and deterministic.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a number in [0, 1).
func (s *splitmix) float() float32 { return float32(s.next()>>40) / (1 << 24) }
