//go:build unix

package plugin

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// restrictFileModes makes every file this process creates from now on
// private to its user (umask 077): the store's files, which Badger and
// ristretto create with mode 0666, hold encrypted templates and keys, and
// nothing facegate writes is meant for other users. Files of dir made by
// earlier versions with wider modes are narrowed to 0600.
func restrictFileModes(dir string) error {
	syscall.Umask(0o077)
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Mode().Perm()&0o077 != 0 {
				return os.Chmod(path, 0o600)
			}
		}
		return nil
	})
}
