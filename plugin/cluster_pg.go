package plugin

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
)

// storeOptions opens the embedded Badger store in the data dir, or, with
// cluster postgres set, the cluster's PostgreSQL database (the data dir then
// holds the key files and Caddy's data, not the templates).
func storeOptions(cfg stateConfig, key []byte, logger *zap.Logger) store.Options {
	o := store.Options{
		Dir:           filepath.Join(cfg.DataDir, storeDirName),
		EncryptionKey: key,
		SyncWrites:    true,
		Logger:        logger,
	}
	if cfg.PostgresURL != "" {
		o.Postgres = cfg.PostgresURL
		o.PlainPrefixes = keyring.PlainKeyPrefixes
	}
	return o
}

// storeFollower keeps this node's in-memory state current with the changes
// other nodes commit to a shared store: the keyring's caches and the
// template index.
type storeFollower struct {
	stopKeys func()
	feed     *indexFeed
}

// followStore starts following; call it after the keyring exists and
// before the index starts loading, then release the index feed once the
// load ended (indexLoaded). With the embedded store it returns nil (whose
// methods do nothing).
func followStore(st *store.Store, keys *keyring.Keyring, idx *index.Index, logger *zap.Logger) *storeFollower {
	if st.Engine() != "postgres" {
		return nil
	}
	logger.Info("cluster mode: keys, administrators, namespaces, the audit log, photos, tags and templates in postgres")
	return &storeFollower{stopKeys: keys.Follow(), feed: startIndexFeed(st, idx, logger)}
}

// indexLoaded lets the index feed apply what it held once loaded is closed.
func (f *storeFollower) indexLoaded(loaded <-chan struct{}) {
	if f != nil {
		go func() {
			<-loaded
			f.feed.release()
		}()
	}
}

func (f *storeFollower) stop() {
	if f != nil {
		f.stopKeys()
		f.feed.close()
	}
}

// indexFeedRetry is how soon a change that could not be read (the store was
// unreachable) is tried again.
const indexFeedRetry = time.Second

// indexFeed applies other nodes' template changes to the index: each changed
// vec/<ns>/<uid>/<tid> key is re-read, and added to or removed from the
// index. While the index loads its snapshot, changes are held and applied
// after it (re-reading gives the state after the load). When the store
// says changes may have been missed, the whole index is reloaded and
// swapped in.
type indexFeed struct {
	st  *store.Store
	idx *index.Index
	log *zap.Logger

	mu      sync.Mutex
	pending map[string]struct{}
	reload  bool
	held    bool // the index is loading: hold the changes
	wake    chan struct{}
	done    chan struct{}
	stopW   func()
	wg      sync.WaitGroup
}

func startIndexFeed(st *store.Store, idx *index.Index, logger *zap.Logger) *indexFeed {
	f := &indexFeed{st: st, idx: idx, log: logger, pending: map[string]struct{}{}, held: true,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.stopW = st.Watch(index.KeyPrefix, f.changed)
	f.wg.Go(f.run)
	return f
}

func (f *indexFeed) changed(c store.Change) {
	f.mu.Lock()
	if c.Resync {
		f.reload = true
		clear(f.pending)
	} else {
		f.pending[c.Key] = struct{}{}
	}
	f.mu.Unlock()
	f.poke()
}

func (f *indexFeed) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *indexFeed) release() {
	f.mu.Lock()
	f.held = false
	f.mu.Unlock()
	f.poke()
}

func (f *indexFeed) close() {
	f.stopW()
	close(f.done)
	f.wg.Wait()
}

func (f *indexFeed) run() {
	t := time.NewTicker(indexFeedRetry)
	defer t.Stop()
	for {
		select {
		case <-f.done:
			return
		case <-f.wake:
		case <-t.C:
		}
		f.mu.Lock()
		if f.held {
			f.mu.Unlock()
			continue
		}
		reload := f.reload
		keys := make([]string, 0, len(f.pending))
		for k := range f.pending {
			keys = append(keys, k)
		}
		clear(f.pending)
		f.reload = false
		f.mu.Unlock()
		if reload {
			f.reloadAll()
			continue
		}
		for _, k := range keys {
			if err := f.apply(k); err != nil {
				f.log.Warn("applying another node's template change failed; retrying", zap.Error(err))
				f.mu.Lock()
				f.pending[k] = struct{}{}
				f.mu.Unlock()
			}
		}
	}
}

// apply re-reads one template key and updates the index to match.
func (f *indexFeed) apply(key string) error {
	rest := strings.TrimPrefix(key, index.KeyPrefix)
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return nil // not a template key
	}
	ns, uid, tid := parts[0], parts[1], parts[2]
	var raw []byte
	err := f.st.View(func(tx *store.Tx) error {
		var err error
		raw, err = tx.GetRaw(key)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		f.idx.RemoveTID(ns, tid)
		return nil
	case err != nil:
		return err
	}
	v, n, err := index.DecodeTemplate(raw)
	if err != nil {
		f.log.Error("another node stored a malformed template; ignored", zap.Error(err))
		return nil
	}
	f.idx.AddTemplate(ns, uid, tid, v, n) // with a mean template's size: recognize reads nothing else
	return nil
}

// reloadAll loads the whole index anew and swaps it in; changes arriving
// meanwhile are held and applied after it.
func (f *indexFeed) reloadAll() {
	f.log.Warn("the template index may have missed changes from other nodes; reloading it")
	y := index.New()
	start := time.Now()
	n, err := y.Load(f.st)
	if err != nil {
		f.log.Error("reloading the template index failed; retrying", zap.Error(err))
		f.mu.Lock()
		f.reload = true
		f.mu.Unlock()
		return
	}
	f.idx.ReplaceWith(y)
	f.log.Info("template index reloaded", zap.Int("templates", n), zap.Duration("took", time.Since(start)))
	f.poke()
}
