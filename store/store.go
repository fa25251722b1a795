package store

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"go.uber.org/zap"
)

// KeySize is the required length of Options.EncryptionKey (AES-256).
const KeySize = 32

// ErrWrongKey is returned (wrapped) by Open when the data directory was encrypted with a
// different key.
var ErrWrongKey = errors.New("wrong encryption key")

// ErrNotFound is returned (wrapped) when a key does not exist or has expired.
var ErrNotFound = errors.New("key not found")

// Options configures Open.
type Options struct {
	// Dir is the data directory; it is created when missing. Ignored when InMemory.
	Dir string
	// InMemory keeps everything in memory (tests).
	InMemory bool
	// EncryptionKey is the 32-byte AES key; required, also in memory.
	EncryptionKey []byte
	// SyncWrites fsyncs every write before it is acknowledged. DefaultOptions sets it; see the
	// package documentation for what survives without it.
	SyncWrites bool
	// Logger receives Badger's warnings and errors; nil silences Badger.
	Logger *zap.Logger
}

// DefaultOptions returns the options facegate uses in production: on-disk, encrypted with
// key, SyncWrites on.
func DefaultOptions(dir string, key []byte) Options {
	return Options{Dir: dir, EncryptionKey: key, SyncWrites: true}
}

// Store is an open, encrypted Badger database. It is safe for concurrent use.
type Store struct {
	db      *badger.DB
	observe atomic.Pointer[WriteObserver] // see SetWriteObserver
}

// Open opens (or creates) the database described by opts.
func Open(opts Options) (*Store, error) {
	if len(opts.EncryptionKey) != KeySize {
		return nil, fmt.Errorf("open store: encryption key must be %d bytes, got %d", KeySize, len(opts.EncryptionKey))
	}
	if !opts.InMemory && opts.Dir == "" {
		return nil, errors.New("open store: data dir is required")
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		WithEncryptionKey(opts.EncryptionKey).
		WithIndexCacheSize(64 << 20).
		WithBlockCacheSize(64 << 20).
		WithSyncWrites(opts.SyncWrites).
		WithLogger(newLogger(opts.Logger))
	if opts.InMemory {
		bo = bo.WithDir("").WithValueDir("")
	}
	db, err := badger.Open(bo)
	if err != nil {
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) || strings.Contains(err.Error(), badger.ErrEncryptionKeyMismatch.Error()) {
			return nil, fmt.Errorf("open store: data dir %s was encrypted with a different key: %w", opts.Dir, ErrWrongKey)
		}
		return nil, fmt.Errorf("open store in %s: %w", opts.Dir, err)
	}
	return &Store{db: db}, nil
}

// Close flushes and closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// DB exposes the underlying Badger database for bulk operations (write batches, streams).
func (s *Store) DB() *badger.DB { return s.db }

// badgerLogger routes Badger's warnings and errors to zap; info and debug are dropped.
type badgerLogger struct{ l *zap.SugaredLogger }

func newLogger(l *zap.Logger) badger.Logger {
	if l == nil {
		return nil
	}
	return badgerLogger{l.Named("badger").Sugar()}
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Errorf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warnf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}
