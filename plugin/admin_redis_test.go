package plugin

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/plugin/limits/redistest"
	"github.com/facegate/facegate/store"
)

// TestAdminStateSharedInRedis: two nodes (keyrings on copies of one
// on-disk store, as cluster nodes started from one data dir) share admin
// TOTP codes and lockouts through a private redis-server: a code accepted
// by one node is refused as reused by the other, and failures on both
// nodes add up to a lockout on each.
func TestAdminStateSharedInRedis(t *testing.T) {
	srv := redistest.Start(t)
	storeKey, serverKey := bytes.Repeat([]byte{5}, 32), bytes.Repeat([]byte{6}, 32)
	dir := t.TempDir()
	open := func(d string) (*store.Store, *keyring.Keyring) {
		t.Helper()
		st, err := store.Open(store.Options{Dir: d, EncryptionKey: storeKey})
		if err != nil {
			t.Fatal(err)
		}
		k, err := keyring.New(st, serverKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st, k
	}
	st, k := open(filepath.Join(dir, "node1"))
	creds, _, err := k.Bootstrap()
	if err != nil {
		t.Fatal(err)
	}
	_ = k.Close()
	_ = st.Close()
	if out, err := exec.Command("cp", "-a", filepath.Join(dir, "node1"), filepath.Join(dir, "node2")).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	var nodes []*keyring.Keyring
	for _, n := range []string{"node1", "node2"} {
		st, k := open(filepath.Join(dir, n))
		defer st.Close()
		defer k.Close()
		c, err := openRedis(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		k.ShareAdminState(&redisAdminState{c: c, prefix: "t:admin:"})
		nodes = append(nodes, k)
	}
	otpKey, err := otp.NewKeyFromURL(creds.AdminTOTPURI)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(otpKey.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	if _, err := nodes[0].VerifyAdmin(creds.AdminToken, code, "10.0.0.1:1"); err != nil {
		t.Fatalf("node 1 refused a fresh code: %v", err)
	}
	if _, err := nodes[1].VerifyAdmin(creds.AdminToken, code, "10.0.0.1:1"); !errors.Is(err, keyring.ErrCodeReused) {
		t.Errorf("node 2 with the code node 1 accepted: %v, want ErrCodeReused", err)
	}

	// 3 failures on node 1 and 2 on node 2 from one address: 5 in all.
	for i := range keyring.LockoutFailures {
		if _, err := nodes[i%2].VerifyAdmin("fga_wrong", "000000", "10.0.0.9:1"); !errors.Is(err, keyring.ErrAdminAuth) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	for i, k := range nodes {
		_, err := k.VerifyAdmin(creds.AdminToken, code, "10.0.0.9:1")
		var le *keyring.LockoutError
		if !errors.As(err, &le) || le.RetryAfter <= 0 {
			t.Errorf("node %d after 5 failures over both nodes: %v, want a lockout", i+1, err)
		}
	}

	// Redis down: admin authentication fails closed.
	srv.Kill()
	if _, err := nodes[0].VerifyAdmin(creds.AdminToken, code, "10.0.0.2:1"); err == nil {
		t.Error("admin call accepted with the shared state unreachable")
	}
}
