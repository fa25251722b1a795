package keyring

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// ValidKeyID is a hand-written keyIDPattern: both must agree.
func TestValidKeyIDMatchesPattern(t *testing.T) {
	good := KeyIDPrefix + strings.Repeat("a2", 12)
	cases := []string{
		"", KeyIDPrefix, good, good + "a", good[:len(good)-1], strings.ToUpper(good),
		"fg_test_" + strings.Repeat("a", 24), KeyIDPrefix + strings.Repeat("1", 24),
		KeyIDPrefix + strings.Repeat("8", 24), KeyIDPrefix + strings.Repeat("z7", 12) + "\n",
		" " + good, KeyIDPrefix + strings.Repeat("é", 12),
	}
	for range 20 {
		id, err := newKeyID()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, id)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := "abcxyz234567189AZ_-\x00é"
	for range 5000 {
		b := []byte(good)
		for range 1 + rng.IntN(2) {
			b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := ValidKeyID(s), keyIDPattern.MatchString(s); got != want {
			t.Errorf("ValidKeyID(%q) = %v, pattern says %v", s, got, want)
		}
	}
}
