package httpsig

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
)

// A Key's pooled keyed states must give the HMAC-SHA256 of a freshly keyed
// HMAC, for interleaved keys and messages from several goroutines at once,
// and must not change when the caller's secret slice does.
func TestKeyMatchesHMAC(t *testing.T) {
	secrets := make([][]byte, 6)
	keys := make([]*Key, len(secrets))
	for i := range secrets {
		secrets[i] = bytes.Repeat([]byte{byte('a' + i)}, 16+i*20) // some longer than the 64-byte block
		keys[i] = NewKey(secrets[i])
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for i := range 2000 {
				j := rng.IntN(len(secrets))
				msg := fmt.Appendf(nil, "base %d %d %s", g, i, bytes.Repeat([]byte("x"), rng.IntN(200)))
				want := hmac.New(sha256.New, secrets[j])
				want.Write(msg)
				if got := keys[j].sum(msg); !bytes.Equal(got, want.Sum(nil)) || !bytes.Equal(mac(secrets[j], msg), got) {
					t.Errorf("Key.sum differs from HMAC-SHA256 for a %d-byte secret", len(secrets[j]))
					return
				}
			}
		}()
	}
	wg.Wait()
	secret := []byte("caller-owned")
	k := NewKey(secret)
	want := mac(secret, []byte("m"))
	secret[0] = 'X'
	if !bytes.Equal(k.sum([]byte("m")), want) {
		t.Error("the Key follows changes to the caller's slice")
	}
}

// Key.Verify and Key.SignResponse answer as the secret-taking functions do.
func TestKeyVerifiesAndSigns(t *testing.T) {
	r := signedServerRequest(t, "a=1")
	p, err := ParseRequest(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	right, wrong := NewKey([]byte(vecSecret)), NewKey([]byte("another secret"))
	if res, err := right.Verify(r, []byte("a=1"), p, testNow); err != nil || !res.Valid {
		t.Fatalf("right key: %+v %v", res, err)
	}
	if res, err := right.VerifyHeaders(r, p, testNow); err != nil || !res.Valid {
		t.Fatalf("right key, headers: %+v %v", res, err)
	}
	if res, err := wrong.Verify(r, []byte("a=1"), p, testNow); err == nil || res.Valid || res.Reason != ReasonSignature {
		t.Fatalf("wrong key: %+v %v", res, err)
	}
	got, want := http.Header{}, http.Header{}
	if err := right.SignResponse(got, 200, []byte("ok"), p, testNow); err != nil {
		t.Fatal(err)
	}
	if err := SignResponse(want, 200, []byte("ok"), p, []byte(vecSecret), testNow); err != nil {
		t.Fatal(err)
	}
	if got.Get("Signature") == "" || got.Get("Signature") != want.Get("Signature") {
		t.Errorf("Key.SignResponse %q, SignResponse %q", got.Get("Signature"), want.Get("Signature"))
	}
	if err := NewKey(nil).SignResponse(http.Header{}, 200, nil, p, testNow); err == nil {
		t.Error("an empty key signed a response")
	}
}
