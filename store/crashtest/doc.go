// Package crashtest checks that acknowledged store writes survive a crash (kill -9) and that
// multi-key writes are never half visible. A writer process runs Write, reporting each
// committed id on an acknowledgement stream only after the store acknowledged it; after the
// process was killed, Verify reopens the store and checks every acknowledged id. End-to-end
// tests can drive the same pair against the facegate binary's data dir.
package crashtest
