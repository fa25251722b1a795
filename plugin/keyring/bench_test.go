package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"
)

// BenchmarkCheckSecret compares the per-request secret check for a known
// key, an unknown id and a malformed id against the floor: one bare
// HMAC-SHA256 and compare. Known and unknown ids should cost about the same.
func BenchmarkCheckSecret(b *testing.B) {
	k, _, _ := newTestKeyring(b)
	key, secret := mustKey(b, k)
	b.Run("baseline-hmac", func(b *testing.B) {
		want := k.c.hashSecret(key.ID, secret)
		for b.Loop() {
			m := hmac.New(sha256.New, k.c.secretPepper)
			m.Write([]byte(secret))
			hmac.Equal(m.Sum(nil), want)
		}
	})
	b.Run("known", func(b *testing.B) {
		for b.Loop() {
			if !k.CheckSecret(key.ID, secret) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("known-wrong-secret", func(b *testing.B) {
		for b.Loop() {
			k.CheckSecret(key.ID, "wrong")
		}
	})
	b.Run("unknown-id", func(b *testing.B) {
		for b.Loop() {
			k.CheckSecret("fg_live_aaaaaaaaaaaaaaaaaaaaaaaa", secret)
		}
	})
	b.Run("malformed-id", func(b *testing.B) {
		for b.Loop() {
			k.CheckSecret("x", secret)
		}
	})
}

// BenchmarkGet compares a cached key lookup with one that reads Badger.
func BenchmarkGet(b *testing.B) {
	k, _, _ := newTestKeyring(b)
	key, _ := mustKey(b, k)
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := k.Get(key.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			k.invalidate(key.ID)
			if _, err := k.Get(key.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSigningSecrets measures unsealing the secret for a signature check.
func BenchmarkSigningSecrets(b *testing.B) {
	k, _, _ := newTestKeyring(b)
	key, _ := mustKey(b, k)
	for b.Loop() {
		if _, err := k.SigningSecrets(key.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAdmin measures an admin authentication (token check,
// TOTP check, used-step write), including generating the code.
func BenchmarkVerifyAdmin(b *testing.B) {
	k, _, clk := newTestKeyring(b)
	token, uri, _, err := k.CreateAdmin("ops", "bench")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		clk.Advance(30 * time.Second)
		if _, err := k.VerifyAdmin(token, codeAt(b, uri, clk.Now()), "192.0.2.1:1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTouch measures the request-path cost of recording last use.
func BenchmarkTouch(b *testing.B) {
	k, _, _ := newTestKeyring(b)
	key, _ := mustKey(b, k)
	for b.Loop() {
		k.Touch(key.ID)
	}
	_ = k.Close()
}
