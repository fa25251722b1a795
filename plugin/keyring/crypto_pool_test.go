package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"testing"
)

// hashSecret (pooled HMACs) must stay HMAC-SHA256(pepper, id 0 secret):
// records written by earlier versions hold that hash.
func TestHashSecretIsPepperedHMAC(t *testing.T) {
	c, err := deriveKeys(bytes.Repeat([]byte{7}, ServerKeySize))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		id, secret := fmt.Sprintf("fg_live_%d", i%7), fmt.Sprintf("secret-%d-%s", i, bytes.Repeat([]byte("x"), i))
		m := hmac.New(sha256.New, c.secretPepper)
		m.Write([]byte(id + "\x00" + secret))
		if got := c.hashSecret(id, secret); !bytes.Equal(got, m.Sum(nil)) {
			t.Fatalf("hashSecret(%q, …) differs from HMAC-SHA256", id)
		}
	}
}
