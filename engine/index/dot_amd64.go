//go:build amd64 && !purego

package index

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernel; tests flip it to compare with the portable one.
var useAVX2 = cpu.X86.HasAVX2

// dotBatchAVX2 writes the dot products of q (sign-extended to int16) with n consecutive
// 128-byte int8 rows to out. Implemented in dot_amd64.s.
//
//go:noescape
func dotBatchAVX2(q *[Dim]int16, rows *int8, n int, out *int32)

// dotBatch computes out[i] = q·rows[i] for len(out) rows.
func dotBatch(q *[Dim]int8, q16 *[Dim]int16, rows []int8, out []int32) {
	if len(out) == 0 {
		return
	}
	if useAVX2 {
		_ = rows[len(out)*Dim-1]
		dotBatchAVX2(q16, &rows[0], len(out), &out[0])
		return
	}
	dotBatchGo(q, rows, out)
}
