package keyring

import (
	"encoding/json"
	"fmt"

	"github.com/facegate/facegate/store"
)

// MaxPageSize bounds one page of ListPage.
const MaxPageSize = 1000

// KeyPage is one page of keys and where the next one starts.
type KeyPage struct {
	Keys []Key `json:"keys"`
	// Next is the id to pass as after for the next page; "" on the last.
	Next string `json:"next,omitempty"`
}

// ListPage returns up to limit keys of owner (every owner when "") whose
// ids sort after after ("" starts at the first), in id order. It reads only
// the page (plus the keys of other owners it skips), not the whole
// registry. limit must be from 1 to MaxPageSize.
func (k *Keyring) ListPage(owner, after string, limit int) (KeyPage, error) {
	if limit < 1 || limit > MaxPageSize {
		return KeyPage{}, invalidf("page size must be from 1 to %d", MaxPageSize)
	}
	if after != "" && !ValidKeyID(after) {
		return KeyPage{}, invalidf("after must be a key id")
	}
	page := KeyPage{Keys: []Key{}}
	start := ""
	if after != "" {
		start = prefixKey + after + "\x00"
	}
	err := k.st.View(func(tx *store.Tx) error {
		return tx.ScanFrom(prefixKey, start, false, func(_ string, raw []byte) error {
			var rec keyRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				return fmt.Errorf("decoding key record: %w", err)
			}
			if owner != "" && rec.Owner != owner {
				return nil
			}
			if len(page.Keys) == limit {
				page.Next = page.Keys[limit-1].ID
				return store.ErrStop
			}
			page.Keys = append(page.Keys, rec.Key.clone())
			return nil
		})
	})
	if err != nil {
		return KeyPage{}, fmt.Errorf("listing keys: %w", err)
	}
	return page, nil
}
