package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"go.uber.org/zap"
)

// KeySize is the required length of Options.EncryptionKey (AES-256).
const KeySize = 32

// ErrWrongKey is returned (wrapped) by Open when the data directory (or the
// PostgreSQL database) was encrypted with a different key.
var ErrWrongKey = errors.New("wrong encryption key")

// ErrNotFound is returned (wrapped) when a key does not exist or has expired.
var ErrNotFound = errors.New("key not found")

// ErrUnavailable is wrapped by the errors of a shared engine that cannot be
// reached (PostgreSQL down or unreachable): nothing was written, and the
// call may be retried later.
var ErrUnavailable = errors.New("store unavailable")

// ErrStop, returned by a scan's function, ends the scan early without an error.
var ErrStop = errors.New("stop scan")

// Options configures Open.
type Options struct {
	// Dir is the data directory; it is created when missing. Ignored when
	// InMemory or Postgres is set.
	Dir string
	// InMemory keeps everything in memory (tests).
	InMemory bool
	// Postgres, when set, is the DSN (postgres://... or key=value) of the
	// PostgreSQL database that holds the store instead of Badger: the cluster
	// mode, where several nodes share it. It may hold a password: it is never
	// logged or quoted in errors.
	Postgres string
	// PlainPrefixes are key prefixes whose later path segments are not secret
	// (timestamps, counters): the PostgreSQL backend keeps them readable in
	// its row keys so that ordered, paged scans of them run in the database.
	// Every other segment of every key is replaced by a keyed token there.
	PlainPrefixes []string
	// EncryptionKey is the 32-byte AES key; required, also in memory.
	EncryptionKey []byte
	// SyncWrites fsyncs every write before it is acknowledged. DefaultOptions sets it; see the
	// package documentation for what survives without it. (PostgreSQL acknowledges a write
	// after its COMMIT, whatever this says.)
	SyncWrites bool
	// Logger receives the engine's warnings and errors; nil silences them.
	Logger *zap.Logger
}

// DefaultOptions returns the options facegate uses in production: on-disk, encrypted with
// key, SyncWrites on.
func DefaultOptions(dir string, key []byte) Options {
	return Options{Dir: dir, EncryptionKey: key, SyncWrites: true}
}

// Store is an open, encrypted key-value store on Badger or PostgreSQL. It is
// safe for concurrent use.
type Store struct {
	be      backend
	engine  string
	observe atomic.Pointer[WriteObserver] // see SetWriteObserver
}

// Open opens (or creates) the store described by opts.
func Open(opts Options) (*Store, error) {
	if len(opts.EncryptionKey) != KeySize {
		return nil, fmt.Errorf("open store: encryption key must be %d bytes, got %d", KeySize, len(opts.EncryptionKey))
	}
	if opts.Postgres != "" {
		be, err := openPostgres(opts)
		if err != nil {
			return nil, err
		}
		return &Store{be: be, engine: "postgres"}, nil
	}
	be, err := openBadger(opts)
	if err != nil {
		return nil, err
	}
	return &Store{be: be, engine: "badger"}, nil
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	if err := s.be.close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Closed reports whether Close was called.
func (s *Store) Closed() bool { return s.be.closed() }

// Ping reports whether the store can serve: nil for an open Badger store;
// with PostgreSQL, whether the database answers within ctx (an error
// wrapping ErrUnavailable otherwise). For readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.be.ping(ctx) }

// Engine names the backend: "badger" or "postgres".
func (s *Store) Engine() string { return s.engine }
