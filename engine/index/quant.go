package index

import "math"

// Dim is the descriptor dimension.
const Dim = 128

// quantize maps v to int8 with a symmetric per-vector scale and returns the scale and the
// squared norm of the dequantised vector.
func quantize(v *[Dim]float32, out *[Dim]int8) (scale, norm2 float32) {
	var maxAbs float32
	for _, x := range v {
		if x > maxAbs {
			maxAbs = x
		} else if -x > maxAbs {
			maxAbs = -x
		}
	}
	if maxAbs == 0 || maxAbs != maxAbs || maxAbs > math.MaxFloat32 {
		*out = [Dim]int8{}
		return 0, 0
	}
	for _, x := range v {
		if x != x { // NaN components: the vector is unusable
			*out = [Dim]int8{}
			return 0, 0
		}
	}
	scale = maxAbs / 127
	inv := 127 / maxAbs
	var n int32
	for i, x := range v {
		f := x * inv
		if f >= 0 {
			f += 0.5
		} else {
			f -= 0.5
		}
		q := max(-127, min(127, int32(f))) // truncation after ±0.5 rounds half away from zero
		out[i] = int8(q)
		n += q * q
	}
	return scale, scale * scale * float32(n)
}

// dot returns the integer dot product of two int8 vectors.
func dot(a, b *[Dim]int8) int32 {
	var s0, s1, s2, s3 int32
	for i := 0; i < Dim; i += 8 {
		s0 += int32(a[i])*int32(b[i]) + int32(a[i+4])*int32(b[i+4])
		s1 += int32(a[i+1])*int32(b[i+1]) + int32(a[i+5])*int32(b[i+5])
		s2 += int32(a[i+2])*int32(b[i+2]) + int32(a[i+6])*int32(b[i+6])
		s3 += int32(a[i+3])*int32(b[i+3]) + int32(a[i+7])*int32(b[i+7])
	}
	return s0 + s1 + s2 + s3
}

// dotBatchGo is the portable kernel of dotBatch.
func dotBatchGo(q *[Dim]int8, rows []int8, out []int32) {
	for i := range out {
		out[i] = dot(q, (*[Dim]int8)(rows[i*Dim:(i+1)*Dim]))
	}
}

// widen sign-extends q to int16 for the AVX2 kernel.
func widen(q *[Dim]int8) (w [Dim]int16) {
	for i, v := range q {
		w[i] = int16(v)
	}
	return w
}
