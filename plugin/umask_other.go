//go:build !unix

package plugin

// restrictFileModes does nothing where there is no umask; the data dir's
// own permissions protect the store there.
func restrictFileModes(dir string) error { return nil }
