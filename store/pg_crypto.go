package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// pgTokenBytes is how much of each segment's HMAC a row key keeps (96 bits).
const pgTokenBytes = 12

// pgCrypto turns the store's keys and values into what PostgreSQL holds: row
// keys where each path segment is a keyed token (so that prefix scans on
// segment boundaries still work and a dump shows no label, uid or key id),
// and values sealed with AES-256-GCM, bound to their row key, that carry the
// plain key. Both keys are derived from the store's encryption key.
type pgCrypto struct {
	aead   cipher.AEAD
	tokKey []byte
	plain  []string // prefixes whose later segments stay readable (and ordered)
}

func newPGCrypto(key []byte, plain []string) (*pgCrypto, error) {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("facegate store postgres " + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("value"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	for _, p := range plain {
		if !strings.HasSuffix(p, "/") {
			return nil, fmt.Errorf("plain prefix %q must end with /", p)
		}
	}
	return &pgCrypto{aead: aead, tokKey: derive("token"), plain: plain}, nil
}

// tokens appends the tokens of segs (chained: each depends on the ones
// before it) to dst, each followed by '/'.
func (c *pgCrypto) tokens(dst []byte, segs []string) []byte {
	var prev [sha256.Size]byte
	for _, s := range segs {
		m := hmac.New(sha256.New, c.tokKey)
		m.Write(prev[:])
		m.Write([]byte(s))
		m.Sum(prev[:0])
		dst = hex.AppendEncode(dst, prev[:pgTokenBytes])
		dst = append(dst, '/')
	}
	return dst
}

// plainOf returns the plain prefix key starts with, if any.
func (c *pgCrypto) plainOf(key string) (string, bool) {
	for _, p := range c.plain {
		if strings.HasPrefix(key, p) {
			return p, true
		}
	}
	return "", false
}

// rowKey is the row key of a store key.
func (c *pgCrypto) rowKey(key string) []byte {
	if p, ok := c.plainOf(key); ok {
		return append(c.tokens(nil, strings.Split(strings.TrimSuffix(p, "/"), "/")), key[len(p):]...)
	}
	b := c.tokens(nil, strings.Split(key, "/"))
	return b[:len(b)-1]
}

// rowPrefix is the row-key prefix that every key with prefix has. exact
// reports that the reverse holds too (the prefix ends on a segment boundary
// or inside a plain tail); otherwise rows must be filtered on their plain
// key. ordered reports that row keys under it sort like their plain keys.
func (c *pgCrypto) rowPrefix(prefix string) (row []byte, exact, ordered bool) {
	if p, ok := c.plainOf(prefix); ok {
		return append(c.tokens(nil, strings.Split(strings.TrimSuffix(p, "/"), "/")), prefix[len(p):]...), true, true
	}
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return nil, prefix == "", false
	}
	return c.tokens(nil, strings.Split(prefix[:i], "/")), i == len(prefix)-1, false
}

// seal encrypts the plain key and value of a row, bound to its row key.
func (c *pgCrypto) seal(aad string, row []byte, key string, raw []byte) []byte {
	pt := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen32+len(key)+len(raw)), uint64(len(key)))
	pt = append(append(pt, key...), raw...)
	out := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(pt)+c.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return c.aead.Seal(out, out, pt, c.aad(aad, row))
}

// errSealed is wrapped when a row does not open: another key sealed it, or
// it was altered or moved to another row.
var errSealed = errors.New("a stored row does not decrypt with this store key (wrong key, or the row was altered)")

// open decrypts a sealed row and returns its plain key and value.
func (c *pgCrypto) open(aad string, row, sealed []byte) (string, []byte, error) {
	ns := c.aead.NonceSize()
	if len(sealed) < ns+c.aead.Overhead() {
		return "", nil, errSealed
	}
	pt, err := c.aead.Open(nil, sealed[:ns], sealed[ns:], c.aad(aad, row))
	if err != nil {
		return "", nil, errSealed
	}
	n, w := binary.Uvarint(pt)
	if w <= 0 || n > uint64(len(pt)-w) {
		return "", nil, errSealed
	}
	return string(pt[w : w+int(n)]), pt[w+int(n):], nil
}

// pgOpenBuf holds the buffers of openInto, reused from row to row.
type pgOpenBuf struct{ aad, pt []byte }

// openInto is open into b's buffers: the key and value it returns are valid
// until the next call with b.
func (c *pgCrypto) openInto(b *pgOpenBuf, kind string, row, sealed []byte) (key, raw []byte, err error) {
	ns := c.aead.NonceSize()
	if len(sealed) < ns+c.aead.Overhead() {
		return nil, nil, errSealed
	}
	b.aad = append(append(append(append(b.aad[:0], "facegate/"...), kind...), 0), row...)
	if b.pt, err = c.aead.Open(b.pt[:0], sealed[:ns], sealed[ns:], b.aad); err != nil {
		return nil, nil, errSealed
	}
	n, w := binary.Uvarint(b.pt)
	if w <= 0 || n > uint64(len(b.pt)-w) {
		return nil, nil, errSealed
	}
	return b.pt[w : w+int(n)], b.pt[w+int(n):], nil
}

func (c *pgCrypto) aad(kind string, row []byte) []byte {
	return append([]byte("facegate/"+kind+"\x00"), row...)
}
