package e2e

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// TestOperationsGuideCluster runs the node and load-balancer Caddyfiles of
// docs/operations.md ("Several nodes") as written, with their placeholders
// set for one machine: three facegate nodes on one private redis-server,
// sharing one key-files folder and one Caddy storage folder (their
// internal CA and certificate), started from copies of the first node's
// data dir, and a load balancer (the same binary, Caddy's reverse_proxy)
// trusting the nodes' CA root and checking their /readyz. Calls through the
// load balancer pass; with one node stopped they still pass; with Redis
// killed they are refused with 503; with Redis back they pass again.
func TestOperationsGuideCluster(t *testing.T) {
	redis := redistest.Start(t)
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	nodeFile := filepath.Join(base, "node.Caddyfile")
	lbFile := filepath.Join(base, "lb.Caddyfile")
	for file, first := range map[string]string{nodeFile: "# facegate cluster node", lbFile: "# facegate cluster load balancer"} {
		if err := os.WriteFile(file, []byte(caddyfileBlock(t, string(doc), first)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	shared, keys := filepath.Join(base, "caddy-shared"), filepath.Join(base, "keys")
	for _, d := range []string{shared, keys} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"FACEGATE_REDIS_URL=" + redis.URL(), "FACEGATE_DOMAIN=localhost", "FACEGATE_CADDY_STORAGE=" + shared,
		"FACEGATE_KEYS_DIR=" + keys, "FACEGATE_LB_ADDR=127.0.0.1/32"}
	run := []string{"run", "--config", nodeFile, "--adapter", "caddyfile"}

	// Node 1 makes the key files and the first store; the others start from copies.
	dir1 := filepath.Join(base, "node1")
	if err := os.Mkdir(dir1, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shared, filepath.Join(dir1, "caddy")); err != nil { // where the harness looks for the CA root
		t.Fatal(err)
	}
	n1 := startServerArgs(t, dir1, run, env...)
	for _, f := range []string{"encryption.key", "keyring.key"} {
		if _, err := os.Stat(filepath.Join(keys, f)); err != nil {
			t.Fatalf("the node did not write %s where key_file points: %v", f, err)
		}
	}
	n1.stop()
	for _, name := range []string{"node2", "node3"} {
		if out, err := exec.Command("cp", "-a", dir1, filepath.Join(base, name)).CombinedOutput(); err != nil {
			t.Fatalf("copying the data dir: %v %s", err, out)
		}
	}
	n1.start()
	nodes := []*server{n1, startServerArgs(t, filepath.Join(base, "node2"), run, env...), startServerArgs(t, filepath.Join(base, "node3"), run, env...)}
	var upstreams []string
	for _, n := range nodes {
		upstreams = append(upstreams, "127.0.0.1:"+strings.TrimPrefix(n.url(""), "https://localhost:"))
	}

	lbDir := filepath.Join(base, "lb")
	if err := os.MkdirAll(filepath.Join(lbDir, "xdg-data", "caddy"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(lbDir, "xdg-data", "caddy"), filepath.Join(lbDir, "caddy")); err != nil {
		t.Fatal(err)
	}
	creds, err := os.ReadFile(filepath.Join(dir1, "initial-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lbDir, "initial-credentials.json"), creds, 0o600); err != nil { // read by the harness
		t.Fatal(err)
	}
	lb := startServerArgs(t, lbDir, []string{"run", "--config", lbFile, "--adapter", "caddyfile"},
		"FACEGATE_DOMAIN=localhost", "FACEGATE_NODES="+strings.Join(upstreams, " "),
		"FACEGATE_NODES_CA="+filepath.Join(shared, "pki", "authorities", "local", "root.crt"))

	authn := func() (int, string) {
		t.Helper()
		form := url.Values{"api_key": {lb.creds.APIKey}, "api_secret": {lb.creds.APISecret}}
		resp, err := lb.client.PostForm(lb.url("/fc/account/authenticate.json"), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, string(body)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20 s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// The load balancer marks the nodes healthy at its first /readyz round.
	waitFor("a call through the load balancer passes", func() bool { code, _ := authn(); return code == http.StatusOK })
	// The initial key's rate (10 calls per 2 s, counted in Redis over all
	// nodes) bounds how many calls each step makes.
	for i := range 4 {
		if code, body := authn(); code != http.StatusOK || !strings.Contains(body, `"success"`) {
			t.Fatalf("call %d through the load balancer: HTTP %d %s", i, code, body)
		}
	}
	code, ready := readyz(t, nodes[0])
	if code != http.StatusOK || ready.Components["redis"] != "ok" {
		t.Errorf("node 1 /readyz: HTTP %d %+v", code, ready)
	}

	nodes[1].stop()
	time.Sleep(2 * time.Second)
	for i := range 4 {
		if code, body := authn(); code != http.StatusOK {
			t.Fatalf("call %d through the load balancer with node 2 stopped: HTTP %d %s", i, code, body)
		}
	}

	redis.Kill()
	waitFor("calls refused with 503 while redis is down", func() bool { code, _ := authn(); return code == http.StatusServiceUnavailable })
	if err := redis.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor("calls pass again once redis is back", func() bool { code, _ := authn(); return code == http.StatusOK })
}

// caddyfileBlock returns the ```caddyfile block of doc whose first line
// starts with first.
func caddyfileBlock(t *testing.T, doc, first string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "```caddyfile\n"+first)
	if !ok {
		t.Fatalf("docs/operations.md has no ```caddyfile block starting with %q", first)
	}
	body, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatalf("the block %q does not end", first)
	}
	return first + body + "\n"
}
