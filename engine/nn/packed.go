package nn

import (
	"fmt"
	"math"
	"sync"
)

// PackedFilter is a convolution filter laid out for the packed GEMM: its columns (output
// channels) in panels of 16, each panel K rows of 16 contiguous floats (K = kh·kw·cin, in
// im2col order), zero columns past Cout. The micro-kernel then reads one 64-byte line per
// multiply step, in order, whatever Cout is, instead of one line per row of a row-major
// K×Cout matrix whose rows lie Cout·4 bytes apart (a new page per step for Cout = 1024).
type PackedFilter struct {
	KH, KW, Cin, Cout int
	panels            []float32 // [ceil(Cout/16)][K][16]
}

// PackFilter lays out a [kh, kw, cin, cout] filter for ConvPacked.
func PackFilter(f *Param) (*PackedFilter, error) {
	if len(f.Shape) != 4 || len(f.Data) != f.Shape[0]*f.Shape[1]*f.Shape[2]*f.Shape[3] || len(f.Data) == 0 {
		return nil, fmt.Errorf("pack filter: shape %v with %d values", f.Shape, len(f.Data))
	}
	p := &PackedFilter{KH: f.Shape[0], KW: f.Shape[1], Cin: f.Shape[2], Cout: f.Shape[3]}
	k, n := p.KH*p.KW*p.Cin, p.Cout
	np := (n + 15) / 16
	p.panels = make([]float32, np*k*16)
	for j := range np {
		for r := range k {
			dst := p.panels[(j*k+r)*16 : (j*k+r+1)*16]
			copy(dst, f.Data[r*n+j*16:r*n+min(n, j*16+16)])
		}
	}
	return p, nil
}

// Floats reports how many float32 values the packed filter holds (zero columns included).
func (p *PackedFilter) Floats() int { return len(p.panels) }

// ConvPacked is Conv2D with a packed filter, followed by ReLU6 when relu6 is set; bias has
// Cout values or is nil. Products are summed in the same order as Conv2D's (bitwise the
// same output on the same path), but a multiply step whose six input rows are all zero,
// which ReLU outputs and zero padding make common, is skipped, and the bias and the
// activation are applied in registers as the output tile is stored.
func ConvPacked(a *Arena, x Tensor, f *PackedFilter, bias []float32, stride int, pad Padding, relu6 bool) (Tensor, error) {
	if f.Cin != x.C {
		return Tensor{}, fmt.Errorf("conv2d: filter %dx%dx%dx%d does not fit %d input channels", f.KH, f.KW, f.Cin, f.Cout, x.C)
	}
	if bias != nil && len(bias) != f.Cout {
		return Tensor{}, fmt.Errorf("conv2d: bias has %d values, want %d", len(bias), f.Cout)
	}
	oh, pt := outSize(x.H, f.KH, stride, pad)
	ow, pl := outSize(x.W, f.KW, stride, pad)
	if oh <= 0 || ow <= 0 {
		return Tensor{}, fmt.Errorf("conv2d: %dx%d input too small for %dx%d filter", x.H, x.W, f.KH, f.KW)
	}
	out := Tensor{H: oh, W: ow, C: f.Cout, Data: a.Raw(oh * ow * f.Cout)}
	m, k := oh*ow, f.KH*f.KW*f.Cin
	cols := x.Data
	if f.KH != 1 || f.KW != 1 || stride != 1 {
		cols = a.Scratch(m * k)
		im2col(cols, x, f.KH, f.KW, stride, pt, pl, oh, ow)
	}
	g := packedJob{a: cols, f: f, c: out.Data, bias: bias, relu6: relu6, k: k}
	if !worthSplitting(m, tileRows, m*k*f.Cout) {
		g.run(0, m) // inline: g does not escape, so warm inference allocates nothing
	} else {
		shared := g
		parallelFor(m, tileRows, &shared)
	}
	return out, nil
}

// tileRows is the micro-kernel's height: six output pixels share each loaded filter row.
const tileRows = 6

// packBlockBytes bounds the packed input block that all of a filter's panels reuse, so that
// it stays in the L2 cache next to one panel.
const packBlockBytes = 256 << 10

// packBuf is the packed input of one block of row tiles: per tile, the multiply steps that
// are not all zero, each as six input values, and their filter rows as byte offsets in a
// panel.
type packBuf struct {
	vals []float32
	offs []int32
	cnt  []int
	zero []float32
}

// packBufs keeps packing buffers between calls (one per goroutine at work).
var packBufs = sync.Pool{New: func() any { return new(packBuf) }}

type packedJob struct {
	a     []float32 // m×k input rows
	f     *PackedFilter
	c     []float32 // m×Cout output
	bias  []float32
	relu6 bool
	k     int
}

func (g *packedJob) run(lo, hi int) {
	buf := packBufs.Get().(*packBuf)
	defer packBufs.Put(buf)
	k, n := g.k, g.f.Cout
	tiles := min(max(1, packBlockBytes/(4*tileRows*k)), 64)
	if len(buf.zero) < k {
		buf.zero = make([]float32, k)
	}
	if len(buf.vals) < tiles*tileRows*k {
		buf.vals = make([]float32, tiles*tileRows*k)
	}
	if len(buf.offs) < tiles*k {
		buf.offs = make([]int32, tiles*k)
	}
	if len(buf.cnt) < tiles {
		buf.cnt = make([]int, tiles)
	}
	var tmp [tileRows * 16]float32
	for r0 := lo; r0 < hi; r0 += tiles * tileRows {
		r1 := min(hi, r0+tiles*tileRows)
		nt := (r1 - r0 + tileRows - 1) / tileRows
		for t := range nt {
			r := r0 + t*tileRows
			buf.cnt[t] = packTile(buf.vals[t*tileRows*k:(t+1)*tileRows*k], buf.offs[t*k:(t+1)*k], g.a, buf.zero[:k], r, min(tileRows, r1-r), k)
		}
		for j := 0; j*16 < n; j++ {
			panel := g.f.panels[j*k*16 : (j+1)*k*16]
			var bias [16]float32
			if g.bias != nil {
				copy(bias[:], g.bias[j*16:min(n, j*16+16)])
			}
			cols := min(16, n-j*16)
			for t := range nt {
				r := r0 + t*tileRows
				rows := min(tileRows, r1-r)
				vals, offs := buf.vals[t*tileRows*k:], buf.offs[t*k:]
				if rows == tileRows && cols == 16 {
					kernPacked(vals, offs, buf.cnt[t], panel, g.c[r*n+j*16:], n, &bias, g.relu6)
					continue
				}
				kernPacked(vals, offs, buf.cnt[t], panel, tmp[:], 16, &bias, g.relu6)
				for q := range rows {
					copy(g.c[(r+q)*n+j*16:(r+q)*n+j*16+cols], tmp[q*16:q*16+cols])
				}
			}
		}
	}
}

// packTile packs input rows r…r+rows−1 (rows ≤ 6; missing rows read as zeros) of the m×k
// matrix a: for each column p where any of the rows is non-zero, the six values go to
// vals and p's panel offset (p·64 bytes) to offs. It returns the number of steps kept.
// The loop has no data-dependent branch: every column is written and the count advances
// only for non-zero ones.
func packTile(vals []float32, offs []int32, a, zero []float32, r, rows, k int) int {
	var src [tileRows][]float32
	for q := range tileRows {
		if q < rows {
			src[q] = a[(r+q)*k : (r+q+1)*k]
		} else {
			src[q] = zero
		}
	}
	a0, a1, a2, a3, a4, a5 := src[0][:k], src[1][:k], src[2][:k], src[3][:k], src[4][:k], src[5][:k]
	vals = vals[:tileRows*k]
	offs = offs[:k]
	n := 0
	for p := range k {
		v0, v1, v2, v3, v4, v5 := a0[p], a1[p], a2[p], a3[p], a4[p], a5[p]
		d := vals[n*tileRows : n*tileRows+tileRows]
		d[0], d[1], d[2], d[3], d[4], d[5] = v0, v1, v2, v3, v4, v5
		offs[n] = int32(p * 64)
		nz := math.Float32bits(v0) | math.Float32bits(v1) | math.Float32bits(v2) | math.Float32bits(v3) | math.Float32bits(v4) | math.Float32bits(v5)
		n += int((nz | -nz) >> 31)
	}
	return n
}

// kernPackedGo is the portable micro-kernel: c[0:6, 0:16] = Σ vals·panel rows + bias,
// clipped to [0, 6] when clip is set (ldc is c's row stride in floats).
func kernPackedGo(vals []float32, offs []int32, cnt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	var acc [tileRows][16]float32
	for s := range cnt {
		o := offs[s] / 4
		b := (*[16]float32)(panel[o : o+16])
		x := (*[tileRows]float32)(vals[s*tileRows : s*tileRows+tileRows])
		for q := range tileRows {
			xv := x[q]
			row := &acc[q]
			for j := range 16 {
				row[j] += xv * b[j]
			}
		}
	}
	for q := range tileRows {
		d := c[q*ldc : q*ldc+16]
		for j := range 16 {
			v := acc[q][j] + bias[j]
			if clip {
				v = relu6(v)
			}
			d[j] = v
		}
	}
}
