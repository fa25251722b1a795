// Package store is facegate's durable, encrypted key-value store: a thin layer over
// Badger v4 that stores JSON values under string keys.
//
// Every database is encrypted at rest with a 32-byte key (Badger's WithEncryptionKey).
// Opening a data directory with a different key fails with an error wrapping ErrWrongKey and
// leaves the directory untouched; a new database is never created over an existing one.
//
// Durability: with Options.SyncWrites (DefaultOptions sets it) every acknowledged write is
// fsynced before PutJSON/Update return, so it survives kill -9 and power loss. Without it a
// write still survives kill -9 of the process (Badger writes its WAL through shared memory
// maps, which live in the kernel page cache), but not an operating-system crash.
//
// Multi-key changes go through Update, which is atomic: either every write of the function is
// visible afterwards or none is. Values are JSON; the store never logs keys' values, so
// descriptors and other biometric data never reach a log line.
package store
