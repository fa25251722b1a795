package nn

// Tensor is one image-shaped activation in HWC order: Data[(y*W+x)*C+c].
type Tensor struct {
	H, W, C int
	Data    []float32
}

// At returns the value at row y, column x, channel c.
func (t Tensor) At(y, x, c int) float32 { return t.Data[(y*t.W+x)*t.C+c] }

// Arena hands out float32 scratch slices from a growing buffer. Reset makes all of them
// reusable; after the first inference has sized the arena, later ones allocate nothing.
// An Arena is not safe for concurrent use; give each goroutine its own.
type Arena struct {
	buf     []float32
	off     int
	extra   int       // floats requested beyond buf since the last Reset
	scratch []float32 // short-lived buffer reused by every Scratch call
}

// Scratch returns a buffer of n floats with unspecified contents that stays valid only
// until the next Scratch call (im2col patches are consumed before the next conv).
func (a *Arena) Scratch(n int) []float32 {
	if cap(a.scratch) < n {
		a.scratch = make([]float32, n)
	}
	return a.scratch[:n]
}

// Reset releases every slice handed out since the last Reset. If the last round
// overflowed the buffer, the buffer is grown once to fit a whole round.
func (a *Arena) Reset() {
	if a.extra > 0 {
		a.buf = make([]float32, len(a.buf)+a.extra)
		a.extra = 0
	}
	a.off = 0
}

// Floats returns a zeroed slice of n floats valid until the next Reset.
func (a *Arena) Floats(n int) []float32 {
	s := a.Raw(n)
	clear(s)
	return s
}

// Raw returns a slice of n floats with unspecified contents, valid until the next Reset.
func (a *Arena) Raw(n int) []float32 {
	if a.off+n <= len(a.buf) {
		s := a.buf[a.off : a.off+n : a.off+n]
		a.off += n
		return s
	}
	a.extra += n
	return make([]float32, n)
}

// Tensor returns a zeroed h×w×c tensor from the arena.
func (a *Arena) Tensor(h, w, c int) Tensor {
	return Tensor{H: h, W: w, C: c, Data: a.Floats(h * w * c)}
}

// Size reports the arena's buffer sizes (bump buffer and scratch) in bytes.
func (a *Arena) Size() int { return 4 * (len(a.buf) + cap(a.scratch)) }
