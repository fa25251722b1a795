package pigo

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestEmbeddedMatchSums checks every embedded cascade against SHA256SUMS (the sums of
// pigo v1.4.6's files, re-checked by fetch.sh) and that unshipped names return nil.
func TestEmbeddedMatchSums(t *testing.T) {
	sums, err := os.ReadFile("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			want[f[1]] = f[0]
		}
	}
	embedded := map[string][]byte{"facefinder": FaceFinder, "puploc": Puploc,
		"lp81": Landmark("lp81"), "lp82": Landmark("lp82"), "lp93": Landmark("lp93")}
	if len(want) != len(embedded) {
		t.Fatalf("SHA256SUMS lists %d files, %d are embedded", len(want), len(embedded))
	}
	for name, b := range embedded {
		t.Run(name, func(t *testing.T) {
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != want[name] {
				t.Fatalf("sha256 %s, SHA256SUMS says %q", got, want[name])
			}
		})
	}
	for _, name := range []string{"lp38", "lp84", "lp312", "", "../facefinder"} {
		if Landmark(name) != nil {
			t.Errorf("Landmark(%q) is not nil", name)
		}
	}
}
