package keyring

import (
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/store"
)

// fakeClock is an injectable, settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testServerKey = []byte("0123456789abcdef0123456789abcdef")

// newTestKeyring returns a keyring on a fresh in-memory store, its store
// and its clock (started at a step boundary, so TOTP steps are predictable).
func newTestKeyring(t testing.TB) (*Keyring, *store.Store, *fakeClock) {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: []byte("fedcba9876543210fedcba9876543210")})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	k, err := New(st, testServerKey, clk.Now)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k, st, clk
}

// mustNamespace registers a namespace or fails the test.
func mustNamespace(t testing.TB, k *Keyring, name, owner string) {
	t.Helper()
	if err := k.CreateNamespace(name, owner, "test"); err != nil {
		t.Fatalf("CreateNamespace(%s): %v", name, err)
	}
}

// mustKey creates a key for owner "acme" on namespace "docs" (registered
// on demand) or fails the test.
func mustKey(t testing.TB, k *Keyring, modes ...string) (Key, string) {
	t.Helper()
	if _, ok := k.NamespaceOwner("docs"); !ok {
		mustNamespace(t, k, "docs", "acme")
	}
	key, secret, err := k.Create(CreateParams{Owner: "acme", Scopes: []string{"faces/*"}, Namespaces: []string{"docs"}, AuthModes: modes}, "test")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return key, secret
}

// codeAt returns the TOTP code of an otpauth URI at t.
func codeAt(t testing.TB, uri string, at time.Time) string {
	t.Helper()
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatalf("parsing otpauth URI: %v", err)
	}
	code, err := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("generating code: %v", err)
	}
	return code
}
