//go:build !amd64 || purego

package index

// dotBatch computes out[i] = q·rows[i] for len(out) rows.
func dotBatch(q *[Dim]int8, _ *[Dim]int16, rows []int8, out []int32) {
	dotBatchGo(q, rows, out)
}
