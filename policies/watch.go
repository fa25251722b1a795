package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"time"

	"go.uber.org/zap"
)

// Watch polls the override dir's .rego files every interval and reloads
// them when they differ from the active set (a file added, removed, or
// changed in size, modification time or content). It blocks until ctx is
// done; run it in a goroutine. A failed reload is logged at error level
// once per broken state and the last good version keeps serving. With the
// embedded policies there is nothing to watch and Watch just waits for ctx.
func (d *Decider) Watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 2 * time.Second
	}
	if d.dir == "" {
		<-ctx.Done()
		return
	}
	var failed string // fingerprint of the last state that failed to load
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp, err := fingerprint(d.fsys)
		if err != nil {
			d.logger.Error("watching policies", zap.Error(err))
			continue
		}
		if fp == d.active.Load().fingerprint || fp == failed {
			continue
		}
		if err := d.Reload(); err != nil {
			failed = fp
			d.logger.Error("POLICY RELOAD FAILED: still serving the previous version; fix the policy files",
				zap.String("policy_version", d.Version()), zap.Error(err))
		}
	}
}

// fingerprint hashes the path, size, modification time and content of
// every .rego file, so that edits within one mtime tick are seen too.
func fingerprint(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || path.Ext(p) != ".rego" {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(src)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%x\x00", p, info.Size(), info.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprinting policy files: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
