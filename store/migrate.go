package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// ErrTargetNotEmpty is returned by Copy when the target already holds
// entries that are not exactly the source's.
var ErrTargetNotEmpty = errors.New("the target store is not empty and differs from the source: refusing to overwrite it")

// Digest sums up a store's contents for comparing two stores: per family
// of keys (their first path segment), how many entries there are and a
// checksum that does not depend on the order they are read in (the XOR of
// the SHA-256 of each key and value). Expiries are not part of it.
type Digest map[string]*DigestRow

// DigestRow is one family's count and checksum.
type DigestRow struct {
	Count int
	Sum   [sha256.Size]byte
}

// Digest reads every entry of s.
func (s *Store) Digest() (Digest, error) {
	d := Digest{}
	err := s.be.stream("", func(key string, raw []byte, _ int64) error {
		d.add(key, raw)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	return d, nil
}

func (d Digest) add(key string, raw []byte) {
	fam, _, _ := strings.Cut(key, "/")
	r := d[fam]
	if r == nil {
		r = &DigestRow{}
		d[fam] = r
	}
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(key)))
	h.Write(n[:])
	h.Write([]byte(key))
	h.Write(raw)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	for i := range sum {
		r.Sum[i] ^= sum[i]
	}
	r.Count++
}

// Total is the number of entries.
func (d Digest) Total() int {
	n := 0
	for _, r := range d {
		n += r.Count
	}
	return n
}

// Equal reports whether d and o hold the same entries.
func (d Digest) Equal(o Digest) bool {
	if len(d) != len(o) {
		return false
	}
	for f, r := range d {
		if q := o[f]; q == nil || *q != *r {
			return false
		}
	}
	return true
}

// Report writes the families of src and dst side by side, with "ok" where
// they match.
func Report(w io.Writer, src, dst Digest) error {
	fams := map[string]bool{}
	for f := range src {
		fams[f] = true
	}
	for f := range dst {
		fams[f] = true
	}
	names := make([]string, 0, len(fams))
	for f := range fams {
		names = append(names, f)
	}
	slices.Sort(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "family\tsource\ttarget\tsource checksum\ttarget checksum\t")
	row := func(r *DigestRow) (int, string) {
		if r == nil {
			return 0, "-"
		}
		return r.Count, hex.EncodeToString(r.Sum[:8])
	}
	for _, f := range names {
		sn, ss := row(src[f])
		dn, ds := row(dst[f])
		mark := "ok"
		if sn != dn || ss != ds {
			mark = "DIFFERS"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", f, sn, dn, ss, ds, mark)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t\t\t\n", src.Total(), dst.Total())
	return tw.Flush()
}

// Copy copies every entry of src (with its expiry) into dst, which must be
// empty, and returns the digests of both afterwards; they are equal when
// the copy is complete. When dst already holds exactly src's entries (a
// copy that was run before), nothing is written. When dst holds anything
// else, nothing is written and the error wraps ErrTargetNotEmpty. src must
// not change meanwhile (stop the nodes that use it).
func Copy(src, dst *Store) (srcDigest, dstDigest Digest, err error) {
	return CopyWithProgress(src, dst, 0, nil)
}

// CopyWithProgress is Copy, calling progress (from Copy's goroutine) about
// every interval while entries are copied, and once at the end of a copy
// that wrote anything. A nil progress or a non-positive interval reports
// nothing.
func CopyWithProgress(src, dst *Store, every time.Duration, progress func(Progress)) (srcDigest, dstDigest Digest, err error) {
	if every <= 0 {
		progress = nil
	}
	empty := true
	err = dst.be.stream("", func(string, []byte, int64) error {
		empty = false
		return ErrStop
	})
	if err != nil && !errors.Is(err, ErrStop) {
		return nil, nil, fmt.Errorf("copy: reading the target: %w", err)
	}
	if !empty {
		if srcDigest, err = src.Digest(); err != nil {
			return nil, nil, err
		}
		if dstDigest, err = dst.Digest(); err != nil {
			return nil, nil, err
		}
		if !srcDigest.Equal(dstDigest) {
			return srcDigest, dstDigest, ErrTargetNotEmpty
		}
		return srcDigest, dstDigest, nil
	}
	b := dst.NewBatch()
	srcDigest = Digest{}
	start := time.Now()
	next := start.Add(every)
	cp := Progress{}
	if progress != nil {
		cp.Estimate = src.EstimateKeys("")
	}
	report := func(now time.Time) {
		cp.Elapsed = now.Sub(start)
		cp.Estimate = max(cp.Estimate, cp.Done)
		progress(cp)
	}
	err = src.be.stream("", func(key string, raw []byte, expires int64) error {
		var exp time.Time
		if expires > 0 {
			exp = time.Unix(expires, 0)
			if !time.Now().Before(exp) {
				return nil // expired while it was read
			}
		}
		srcDigest.add(key, raw)
		if err := b.SetExpiring(key, raw, exp); err != nil {
			return err
		}
		cp.Done++
		if progress != nil && cp.Done%256 == 0 {
			if now := time.Now(); !now.Before(next) {
				report(now)
				next = now.Add(every)
			}
		}
		return nil
	})
	if err == nil {
		err = b.Flush()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("copy: %w", err)
	}
	if progress != nil {
		report(time.Now())
	}
	if dstDigest, err = dst.Digest(); err != nil {
		return nil, nil, err
	}
	return srcDigest, dstDigest, nil
}
