package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// CheckConsistency verifies, in one snapshot, the invariants that the service's atomic
// writes keep: every saved tag has its tagref and ptag entries and vice versa, every training
// record's tids have a saved tag and an index vector, and every index vector belongs to a
// training record. A crash test (kill -9 during tags/save, faces/train, tags/remove) runs it
// on the reopened data dir: any error means a half-written change became visible.
func CheckConsistency(st *store.Store) error {
	var errs []error
	report := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	err := st.View(func(tx *store.Tx) error {
		tags := map[string]tagRef{} // tid → where the tag is
		if err := tx.Scan("tag/", func(key string, raw []byte) error {
			var t tagRec
			if err := json.Unmarshal(raw, &t); err != nil {
				report("%s: undecodable tag", key)
				return nil
			}
			parts := strings.Split(key, "/")
			if len(parts) != 4 || parts[3] != t.TID || parts[2] != t.UID {
				report("%s: key does not match its record", key)
				return nil
			}
			tags[t.TID] = tagRef{NS: parts[1], UID: t.UID, PID: t.PID}
			return nil
		}); err != nil {
			return err
		}
		refs := 0
		if err := tx.Scan("tagref/", func(key string, raw []byte) error {
			refs++
			tid := strings.TrimPrefix(key, "tagref/")
			var r tagRef
			if err := json.Unmarshal(raw, &r); err != nil || tags[tid] != r {
				report("%s: no matching saved tag", key)
			}
			return nil
		}); err != nil {
			return err
		}
		ptags := 0
		if err := tx.Scan("ptag/", func(key string, _ []byte) error {
			ptags++
			parts := strings.Split(key, "/")
			if t, ok := tags[parts[len(parts)-1]]; !ok || len(parts) != 3 || t.PID != parts[1] {
				report("%s: no matching saved tag", key)
			}
			return nil
		}); err != nil {
			return err
		}
		if refs != len(tags) || ptags != len(tags) {
			report("%d saved tags but %d tagref and %d ptag entries", len(tags), refs, ptags)
		}
		trained := map[string]bool{} // vec key → expected
		if err := tx.Scan("train/", func(key string, raw []byte) error {
			var r trainRec
			if err := json.Unmarshal(raw, &r); err != nil {
				report("%s: undecodable training record", key)
				return nil
			}
			parts := strings.Split(key, "/")
			for _, tid := range r.TIDs {
				if t, ok := tags[tid]; !ok || t.UID != r.UID || len(parts) != 3 || t.NS != parts[1] {
					report("%s: trained tid %s has no saved tag", key, tid)
				}
			}
			if len(parts) == 3 {
				name, _, _ := cutLast(r.UID)
				for _, tid := range r.indexedTIDs(uidRef{name: name, ns: parts[1]}) {
					trained[index.Key(parts[1], r.UID, tid)] = true
				}
			}
			return nil
		}); err != nil {
			return err
		}
		vecs, err := tx.Keys(index.KeyPrefix)
		if err != nil {
			return err
		}
		for _, k := range vecs {
			if !trained[k] {
				report("%s: index vector outside any training set", k)
			}
			delete(trained, k)
		}
		for k := range trained {
			report("%s: trained tid without index vector", k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check consistency: %w", err)
	}
	return errors.Join(errs...)
}
