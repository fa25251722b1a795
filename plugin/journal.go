package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/facegate/facegate/store"
)

// Helpers shared by the journals that keep in-memory state in the store
// (limits_journal.go, usage_journal.go).

// readJournal decodes every JSON entry under prefix; entries of another
// shape are counted in malformed and skipped.
func readJournal[T any](st *store.Store, prefix string) (items []T, malformed int, err error) {
	err = st.ScanJSON(prefix, func(_ string, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			malformed++
			return nil
		}
		items = append(items, v)
		return nil
	})
	return items, malformed, err
}

// nodeJournalPrefix is where a node keeps a journal of its own in-memory
// state: base itself in the node's own Badger store, and a folder of the node
// under base when the store is shared with other nodes (PostgreSQL), so that
// the nodes' journals do not overwrite each other and each restores its own.
// The folder is named by a hash of the host name and the absolute data dir,
// which stay the same across restarts and differ between nodes.
func nodeJournalPrefix(base string, st *store.Store, dataDir string) string {
	if st.Engine() != "postgres" {
		return base
	}
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return journalKey(base, host, dataDir) + "/"
}

// journalKey names an entry by a hash of its parts, so that client-chosen
// values (key ids, addresses) never appear in store keys.
func journalKey(prefix string, parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// periodic calls write every interval and once more when closed.
type periodic struct {
	stop, done chan struct{}
}

func startPeriodic(every time.Duration, write func()) *periodic {
	p := &periodic{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				write()
			case <-p.stop:
				write()
				return
			}
		}
	}()
	return p
}

// Close runs the last write and waits for it.
func (p *periodic) Close() {
	close(p.stop)
	<-p.done
}
