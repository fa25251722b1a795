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

// stepBlockBytes bounds the input rows of one block of row tiles, which all of a filter's
// panels reuse, so that they stay in the L2 cache next to one panel.
const stepBlockBytes = 256 << 10

// stepBuf holds, for one block of row tiles, the multiply steps each tile keeps (the input
// columns where any of its six rows is non-zero, as byte offsets 4·p in a row), and a
// zero-padded copy of a last tile with fewer than six rows.
type stepBuf struct {
	offs []int32
	cnt  []int
	tail []float32
}

// stepBufs keeps step buffers between calls (one per goroutine at work).
var stepBufs = sync.Pool{New: func() any { return new(stepBuf) }}

type packedJob struct {
	a     []float32 // m×k input rows
	f     *PackedFilter
	c     []float32 // m×Cout output
	bias  []float32
	relu6 bool
	k     int
}

func (g *packedJob) run(lo, hi int) {
	buf := stepBufs.Get().(*stepBuf)
	defer stepBufs.Put(buf)
	k, n := g.k, g.f.Cout
	tiles := min(max(1, stepBlockBytes/(4*tileRows*k)), 64)
	if len(buf.offs) < tiles*k {
		buf.offs = make([]int32, tiles*k)
	}
	if len(buf.cnt) < tiles {
		buf.cnt = make([]int, tiles)
	}
	if len(buf.tail) < tileRows*k {
		buf.tail = make([]float32, tileRows*k)
	}
	// rowsOf returns the six input rows of the tile at row r (lda = k).
	rowsOf := func(r, rows int) []float32 {
		if rows == tileRows {
			return g.a[r*k : (r+tileRows)*k]
		}
		t := buf.tail[:tileRows*k]
		copy(t, g.a[r*k:(r+rows)*k])
		clear(t[rows*k:])
		return t
	}
	var tmp [tileRows * 16]float32
	for r0 := lo; r0 < hi; r0 += tiles * tileRows {
		r1 := min(hi, r0+tiles*tileRows)
		nt := (r1 - r0 + tileRows - 1) / tileRows
		for t := range nt {
			r := r0 + t*tileRows
			buf.cnt[t] = steps(rowsOf(r, min(tileRows, r1-r)), k, buf.offs[t*k:(t+1)*k])
		}
		full := (r1 - r0) / tileRows // tiles of six rows; a last one may have fewer
		for j := 0; j*16 < n; j++ {
			panel := g.f.panels[j*k*16 : (j+1)*k*16]
			var bias [16]float32
			if g.bias != nil {
				copy(bias[:], g.bias[j*16:min(n, j*16+16)])
			}
			cols := min(16, n-j*16)
			t0 := 0
			if cols == 16 && full > 0 {
				kernTiles(g.a[r0*k:], k, buf.offs, buf.cnt, full, panel, g.c[r0*n+j*16:], n, &bias, g.relu6)
				t0 = full
			}
			for t := t0; t < nt; t++ {
				r := r0 + t*tileRows
				rows := min(tileRows, r1-r)
				kernRows(rowsOf(r, rows), k, buf.offs[t*k:(t+1)*k], buf.cnt[t], panel, tmp[:], 16, &bias, g.relu6)
				for q := range rows {
					copy(g.c[(r+q)*n+j*16:(r+q)*n+j*16+cols], tmp[q*16:q*16+cols])
				}
			}
		}
	}
}

// stepsGo is the portable steps: it writes 4·p to offs for every column p < k where any of
// the six rows of a (6×k) has a value whose bits are not all zero, and returns the count.
func stepsGo(a []float32, k int, offs []int32) int {
	a = a[:tileRows*k]
	offs = offs[:k]
	n := 0
	for p := range k {
		var nz uint32
		for q := range tileRows {
			nz |= math.Float32bits(a[q*k+p])
		}
		if nz != 0 {
			offs[n] = int32(4 * p)
			n++
		}
	}
	return n
}

// kernTilesGo is kernRowsGo for nt consecutive full tiles: tile t reads the six rows at
// a[6t·k:], its steps at offs[t·k:] (cnts[t] of them), and stores to c[6t·ldc:].
func kernTilesGo(a []float32, k int, offs []int32, cnts []int, nt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	for t := range nt {
		kernRowsGo(a[t*tileRows*k:], k, offs[t*k:], cnts[t], panel, c[t*tileRows*ldc:], ldc, bias, clip)
	}
}

// kernRowsGo is the portable micro-kernel: for the six rows of a (row stride lda) and the
// steps offs[:cnt], c[0:6, 0:16] = Σ a[q, p]·panel[p, 0:16] + bias, clipped to [0, 6] when
// clip is set (ldc is c's row stride).
func kernRowsGo(a []float32, lda int, offs []int32, cnt int, panel, c []float32, ldc int, bias *[16]float32, clip bool) {
	var acc [tileRows][16]float32
	for _, o := range offs[:cnt] {
		p := int(o / 4)
		b := (*[16]float32)(panel[16*p : 16*p+16])
		for q := range tileRows {
			xv := a[q*lda+p]
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
