// Package index is facegate's in-memory 1:N search over 128-D face descriptors, one space per
// namespace.
//
// Templates are stored int8-quantised in one contiguous slab per namespace (128 bytes per
// template plus a scale and a norm), so a brute-force scan reads memory sequentially; large
// namespaces are scanned by several goroutines. Search is exact over the quantised vectors and
// returns, per uid, its best (smallest) Euclidean distance; the quantisation error against
// float32 distances is measured by the search benchmark (tests/bench search).
//
// The index is a cache of what the store holds: Load rebuilds it from the `vec/` keys written
// with Key and EncodeVector (EncodeTemplate for a mean template, with how many descriptors it
// averages, which TemplateSizes reports), and callers keep it in sync by calling
// Add/AddTemplate/Remove* after each committed write.
package index
