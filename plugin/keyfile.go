package plugin

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// keyFileName is the default name of the store encryption key in the data dir.
const keyFileName = "encryption.key"

// keyringKeyFileName is the default name of the keyring server key: the
// pepper of secret hashes and the key that seals signing secrets. It is kept
// apart from the store key so that an operator can store it elsewhere
// (keyring_key_file or FACEGATE_KEYRING_KEY) and a store dump plus the store
// key still reveal no client secret.
const keyringKeyFileName = "keyring.key"

// secretKey names one of the two 32-byte keys facegate keeps outside the DB.
type secretKey struct {
	what     string // for messages: "encryption key", "keyring key"
	envVar   string
	fileName string // default name in the data dir
}

var (
	storeKeySpec   = secretKey{"encryption key", "FACEGATE_ENCRYPTION_KEY", keyFileName}
	keyringKeySpec = secretKey{"keyring key", "FACEGATE_KEYRING_KEY", keyringKeyFileName}
)

// storeDirName is the folder of the Badger DB inside the data dir.
const storeDirName = "db"

// loadOrCreateKey returns the 32-byte store encryption key. The key comes
// from FACEGATE_ENCRYPTION_KEY, the configured key file, or
// <data dir>/encryption.key. A key is generated only when none exists AND the
// store directory holds no data: a missing key for an existing store is an
// error, never a reason to start a new, empty store.
func loadOrCreateKey(dataDir, keyFile string) ([]byte, error) {
	return storeKeySpec.loadOrCreate(dataDir, keyFile)
}

// loadOrCreate implements loadOrCreateKey for either key.
func (k secretKey) loadOrCreate(dataDir, keyFile string) ([]byte, error) {
	if env := strings.TrimSpace(os.Getenv(k.envVar)); env != "" {
		return parseKey([]byte(env), k.envVar)
	}
	path := keyFile
	if path == "" {
		path = filepath.Join(dataDir, k.fileName)
	}
	raw, err := os.ReadFile(path)
	if err == nil {
		return parseKey(raw, path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s %s: %w", k.what, path, err)
	}
	if hasData(filepath.Join(dataDir, storeDirName)) {
		return nil, fmt.Errorf("%s %s is missing but %s holds an encrypted store: "+
			"restore the key file (refusing to create a new store over existing data)",
			k.what, path, filepath.Join(dataDir, storeDirName))
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating %s: %w", k.what, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating key dir: %w", err)
	}
	if err := writeNewFile(path, []byte(hex.EncodeToString(key)+"\n")); err != nil {
		return nil, fmt.Errorf("writing %s %s: %w", k.what, path, err)
	}
	return key, nil
}

// writeNewFile creates path (0600) holding data; it never replaces a file:
// an existing one is an error (fs.ErrExist).
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Close())
}

// parseKey accepts 32 raw bytes, 64 hex characters or base64 of 32 bytes.
// Its errors never include the key material.
func parseKey(raw []byte, source string) ([]byte, error) {
	if len(raw) == 32 {
		return raw, nil
	}
	text := strings.TrimSpace(string(raw))
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("key from %s is not 32 bytes (raw, hex or base64)", source)
}

// hasData reports whether dir exists and is not empty.
func hasData(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}
