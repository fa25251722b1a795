package index

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/facegate/facegate/engine/store"
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
func EncodeVector(v [Dim]float32) []byte {
	b := make([]byte, Dim*4)
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(x))
	}
	return b
}

// DecodeVector parses EncodeVector's output.
func DecodeVector(b []byte) ([Dim]float32, error) {
	var v [Dim]float32
	if len(b) != Dim*4 {
		return v, fmt.Errorf("decode vector: %d bytes, want %d", len(b), Dim*4)
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
	}
	return v, nil
}

// Load adds every template stored under KeyPrefix in st to the index and returns how many it
// loaded. It is meant for start-up, before the index serves searches.
func (x *Index) Load(st *store.Store) (int, error) {
	n := 0
	err := st.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(KeyPrefix), PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		var cur *nsSpace
		curNS := ""
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			key := string(item.Key())
			ns, uid, tid, ok := splitKey(key)
			if !ok {
				return fmt.Errorf("load index: malformed key %q", key)
			}
			var v [Dim]float32
			err := item.Value(func(b []byte) error {
				var err error
				v, err = DecodeVector(b)
				return err
			})
			if err != nil {
				return fmt.Errorf("load index %q: %w", key, err)
			}
			if cur == nil || ns != curNS {
				if cur != nil {
					cur.mu.Unlock()
				}
				cur, curNS = x.get(ns, true), ns
				cur.mu.Lock()
			}
			cur.s.add(uid, tid, &v)
			n++
		}
		if cur != nil {
			cur.mu.Unlock()
		}
		return nil
	})
	return n, err
}

func splitKey(key string) (ns, uid, tid string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(key, KeyPrefix), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
