package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/facegate/facegate/store"
)

// KeyPrefix starts every store key that holds an indexed template.
const KeyPrefix = "vec/"

// Key returns the store key of template tid of uid in namespace ns. Names must not contain '/'.
func Key(ns, uid, tid string) string { return KeyPrefix + ns + "/" + uid + "/" + tid }

// UIDPrefix returns the key prefix of every template of uid in ns.
func UIDPrefix(ns, uid string) string { return KeyPrefix + ns + "/" + uid + "/" }

// NamespacePrefix returns the key prefix of every template in ns.
func NamespacePrefix(ns string) string { return KeyPrefix + ns + "/" }

// EncodeVector returns the 512-byte little-endian float32 encoding stored under Key.
func EncodeVector(v [Dim]float32) []byte { return EncodeTemplate(v, 1) }

// EncodeTemplate is EncodeVector for a template that averages n descriptors (a mean
// template): with n ≥ 2 the 512 bytes are followed by n as a little-endian uint32, so that
// whoever loads or follows the store knows n without reading anything else.
func EncodeTemplate(v [Dim]float32, n int) []byte {
	size := Dim * 4
	if n >= 2 {
		size += 4
	}
	b := make([]byte, size)
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(x))
	}
	if n >= 2 {
		binary.LittleEndian.PutUint32(b[Dim*4:], uint32(min(n, math.MaxInt32)))
	}
	return b
}

// DecodeVector parses EncodeVector's or EncodeTemplate's output and returns the vector.
func DecodeVector(b []byte) ([Dim]float32, error) {
	v, _, err := DecodeTemplate(b)
	return v, err
}

// DecodeTemplate parses EncodeTemplate's output: the vector and how many descriptors it
// averages (1 for a plain vector).
func DecodeTemplate(b []byte) ([Dim]float32, int, error) {
	var v [Dim]float32
	n, err := templateCount(b)
	if err != nil {
		return v, 0, err
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
	}
	return v, n, nil
}

// templateCount checks b's length and returns the count EncodeTemplate put after the vector.
func templateCount(b []byte) (int, error) {
	switch len(b) {
	case Dim * 4:
		return 1, nil
	case Dim*4 + 4:
		if n := binary.LittleEndian.Uint32(b[Dim*4:]); n >= 2 && n <= math.MaxInt32 {
			return int(n), nil
		}
		return 0, fmt.Errorf("decode vector: a template count under 2")
	}
	return 0, fmt.Errorf("decode vector: %d bytes, want %d or %d", len(b), Dim*4, Dim*4+4)
}

// loadBatch is how many templates a Load goroutine quantises before it
// inserts them under the namespace's lock.
const loadBatch = 1024

type loadItem struct {
	ns, uid, tid string
	n            int // descriptors averaged (DecodeTemplate)
	q            [Dim]int8
	scale, norm  float32
}

// loader is the state of one of Load's goroutines.
type loader struct {
	b               []loadItem
	lastNS, lastUID string
	n               int
	_               [64]byte // keeps two goroutines' counters off one cache line
}

// Load adds every template stored under KeyPrefix in st to the index and returns how many it
// loaded. The store is read by GOMAXPROCS goroutines at once (Store.StreamParallel: Badger
// iterators over key ranges, PostgreSQL connections over block ranges, each decrypting its
// own rows), and each goroutine decodes and quantises its templates and inserts them in
// batches. It is meant for start-up, before the index serves searches. LoadWithProgress
// reports on the way.
func (x *Index) Load(st *store.Store) (int, error) { return x.load(st, nil) }

func (x *Index) load(st *store.Store, progress *loadProgress) (int, error) {
	workers := max(2, runtime.GOMAXPROCS(0)) // with PostgreSQL, its server works beside them
	ls := make([]loader, workers)
	var total atomic.Int64
	err := st.StreamParallel(KeyPrefix, workers, func(w int, key, v []byte) error {
		l := &ls[w]
		ns, uid, tid, ok := splitKey(key)
		if !ok {
			return fmt.Errorf("load index: malformed key %q", key)
		}
		if string(ns) != l.lastNS { // consecutive keys share ns and uid: reuse the strings
			l.lastNS = string(ns)
		}
		if string(uid) != l.lastUID {
			l.lastUID = string(uid)
		}
		vec, cnt, err := DecodeTemplate(v)
		if err != nil {
			return fmt.Errorf("load index %q: %w", key, err)
		}
		if l.b == nil {
			l.b = make([]loadItem, 0, loadBatch)
		}
		l.b = append(l.b, loadItem{ns: l.lastNS, uid: l.lastUID, tid: string(tid), n: cnt})
		it := &l.b[len(l.b)-1]
		it.scale, it.norm = quantize(&vec, &it.q)
		if len(l.b) == loadBatch {
			x.insertBatch(l.b)
			l.b = l.b[:0]
		}
		if l.n++; l.n%loadCheckEvery == 0 {
			return progress.tick(int(total.Add(loadCheckEvery)))
		}
		return nil
	})
	n := 0
	for i := range ls {
		if err == nil {
			x.insertBatch(ls[i].b)
		}
		n += ls[i].n
	}
	return n, err
}

// insertBatch inserts quantised templates, holding each namespace's lock
// once per run of templates of that namespace.
func (x *Index) insertBatch(b []loadItem) {
	var sp *nsSpace
	for i := range b {
		li := &b[i]
		if sp == nil || li.ns != b[i-1].ns {
			if sp != nil {
				sp.mu.Unlock()
			}
			sp = x.get(li.ns, true)
			sp.mu.Lock()
		}
		sp.s.addQuantized(li.uid, li.tid, &li.q, li.scale, li.norm, li.n)
	}
	if sp != nil {
		sp.mu.Unlock()
	}
}

// splitKey parses KeyPrefix<ns>/<uid>/<tid>; the parts alias key.
func splitKey(key []byte) (ns, uid, tid []byte, ok bool) {
	rest, found := bytes.CutPrefix(key, []byte(KeyPrefix))
	if !found {
		return nil, nil, nil, false
	}
	a, rest, ok1 := bytes.Cut(rest, []byte("/"))
	b, c, ok2 := bytes.Cut(rest, []byte("/"))
	if !ok1 || !ok2 || len(a) == 0 || len(b) == 0 || len(c) == 0 || bytes.IndexByte(c, '/') >= 0 {
		return nil, nil, nil, false
	}
	return a, b, c, true
}
