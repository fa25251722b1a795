package httpsig

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// mac (pooled keyed states) must equal a freshly keyed HMAC-SHA256 for
// interleaved secrets and messages, from several goroutines at once, and
// after the pool map is emptied.
func TestPooledMACMatchesHMAC(t *testing.T) {
	secrets := make([][]byte, 6)
	for i := range secrets {
		secrets[i] = bytes.Repeat([]byte{byte('a' + i)}, 16+i*20) // some longer than the 64-byte block
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for i := range 2000 {
				secret := secrets[rng.IntN(len(secrets))]
				msg := fmt.Appendf(nil, "base %d %d %s", g, i, bytes.Repeat([]byte("x"), rng.IntN(200)))
				want := hmac.New(sha256.New, secret)
				want.Write(msg)
				if got := mac(secret, msg); !bytes.Equal(got, want.Sum(nil)) {
					t.Errorf("mac differs from HMAC-SHA256 for a %d-byte secret", len(secret))
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range maxKeyedMACs + 5 { // overflow: the map is emptied, results stay right
		secret := fmt.Appendf(nil, "secret-%d", i)
		want := hmac.New(sha256.New, secret)
		want.Write([]byte("m"))
		if got := mac(secret, []byte("m")); !bytes.Equal(got, want.Sum(nil)) {
			t.Fatalf("mac wrong after %d secrets", i)
		}
	}
	keyedMACs.mu.RLock()
	n := len(keyedMACs.m)
	keyedMACs.mu.RUnlock()
	if n > maxKeyedMACs {
		t.Errorf("%d keyed secrets held, more than %d", n, maxKeyedMACs)
	}
}
