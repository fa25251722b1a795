package plugin

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/plugin/limits/redistest"
)

// TestClusterCaddyfile parses the cluster block of the facegate option.
func TestClusterCaddyfile(t *testing.T) {
	for _, tc := range []struct {
		name, src, redis, postgres, err string
	}{
		{"redis url", "facegate {\n cluster {\n redis redis://10.0.0.5:6379/0\n }\n}", "redis://10.0.0.5:6379/0", "", ""},
		{"placeholder", "facegate {\n cluster {\n redis {env.FACEGATE_REDIS_URL}\n }\n}", "{env.FACEGATE_REDIS_URL}", "", ""},
		{"none", "facegate {\n data_dir /tmp/x\n}", "", "", ""},
		{"unknown option", "facegate {\n cluster {\n postgre x\n }\n}", "", "", "unrecognized cluster option"},
		{"argument on the block", "facegate {\n cluster redis://x\n}", "", "", "wrong argument count"},
		{"two urls", "facegate {\n cluster {\n redis a b\n }\n}", "", "", "wrong argument count"},
		{"postgres dsn", "facegate {\n cluster {\n postgres postgres://fg@10.0.0.6:5432/fg\n }\n}", "", "postgres://fg@10.0.0.6:5432/fg", ""},
		{"postgres placeholder next to redis", "facegate {\n cluster {\n redis {env.FACEGATE_REDIS_URL}\n postgres {env.FACEGATE_POSTGRES_URL}\n }\n}", "{env.FACEGATE_REDIS_URL}", "{env.FACEGATE_POSTGRES_URL}", ""},
		{"two dsns", "facegate {\n cluster {\n postgres a b\n }\n}", "", "", "wrong argument count"},
		{"no dsn", "facegate {\n cluster {\n postgres\n }\n}", "", "", "wrong argument count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a App
			err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.src))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || a.Cluster.Redis != tc.redis || a.Cluster.Postgres != tc.postgres {
				t.Fatalf("redis %q, postgres %q (%v), want %q, %q", a.Cluster.Redis, a.Cluster.Postgres, err, tc.redis, tc.postgres)
			}
		})
	}
}

// TestOpenRedisKeepsPasswordOut: a bad or unreachable URL is refused with an
// error that does not repeat its password.
func TestOpenRedisKeepsPasswordOut(t *testing.T) {
	for _, u := range []string{
		"redis://user:s3cretpw@[::1",        // does not parse
		"redis://user:s3cretpw@127.0.0.1:1", // nothing listens
		"http://user:s3cretpw@127.0.0.1:1",  // wrong scheme
	} {
		_, err := openRedis(u)
		if err == nil {
			t.Fatalf("%q: no error", u)
		}
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("error repeats the password: %v", err)
		}
	}
}

// TestRedisNonces: a nonce is recorded by the admission script of one node
// and is a replay on another (read by the script and by Inspect), only a
// digest of it is written, with the signature's expiry, and with Redis down
// the request is refused as unavailable (fail closed).
func TestRedisNonces(t *testing.T) {
	srv := redistest.Start(t)
	var nodes [2]*limits.Redis
	for i := range nodes {
		c, err := openRedis(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		nodes[i] = limits.NewRedis(c, nil, "t:limits:")
		defer nodes[i].Close()
	}
	n := &redisNonces{prefix: "t:nonce:"}
	exp := time.Now().Add(time.Minute)
	check := func(keyID, nonce string) limits.Checks {
		return limits.Checks{NonceKey: n.key(keyID, nonce), NonceTTL: n.ttl(exp)}
	}
	if _, d := nodes[0].Admit("key1", nil, check("key1", "n-1")); d.Denied() {
		t.Fatalf("first use refused: %+v", d)
	}
	if _, d := nodes[1].Admit("key1", nil, check("key1", "n-1")); d.Kind != limits.KindReplayed {
		t.Errorf("the same nonce on another node: %+v, want a replay", d)
	}
	if _, replayed, err := nodes[1].Inspect(check("key1", "n-1")); err != nil || !replayed {
		t.Errorf("Inspect on another node: replayed=%v (%v)", replayed, err)
	}
	if _, d := nodes[1].Admit("key2", nil, check("key2", "n-1")); d.Denied() {
		t.Errorf("the same nonce for another key was refused: %+v", d)
	}
	c := newTestRedisClient(t, srv.URL())
	keys, err := c.Do(t.Context(), c.B().Keys().Pattern("t:nonce:*").Build()).AsStrSlice()
	if err != nil || len(keys) != 2 {
		t.Fatalf("nonce keys %v (%v), want 2", keys, err)
	}
	for _, k := range keys {
		if strings.Contains(k, "n-1") || strings.Contains(k, "key1") {
			t.Errorf("the nonce key %q holds the nonce or key id in clear", k)
		}
		ttl, err := c.Do(t.Context(), c.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil || ttl <= 55_000 || ttl > 61_000 {
			t.Errorf("nonce %s expires in %d ms (%v), want the signature's minute and a second", k, ttl, err)
		}
	}
	srv.Kill()
	if _, d := nodes[0].Admit("key1", nil, check("key1", "n-2")); d.Kind != limits.KindUnavailable {
		t.Errorf("with redis down: %+v, want unavailable", d)
	}
}

func newTestRedisClient(t *testing.T, url string) valkey.Client {
	t.Helper()
	c, err := openRedis(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestOpenRedisRefusesRedisCluster: a Redis Cluster (here one node that
// serves every slot) is refused at start with a clear error, since one
// request's script touches keys of several subjects.
func TestOpenRedisRefusesRedisCluster(t *testing.T) {
	bin := redistest.Binary()
	if bin == "" {
		t.Skip("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var c valkey.Client
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err = valkey.NewClient(valkey.ClientOption{InitAddress: []string{addr}, ForceSingleClient: true}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server in cluster mode did not answer: %v", err)
		}
	}
	defer c.Close()
	if err := c.Do(t.Context(), c.B().ClusterAddslotsrange().StartSlotEndSlot().StartSlotEndSlot(0, 16383).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info, _ := c.Do(t.Context(), c.B().ClusterInfo().Build()).ToString()
		if strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the one-node cluster did not become ready: %s", info)
		}
	}
	r, err := openRedis("redis://" + addr)
	if err == nil {
		r.Close()
		t.Fatal("a Redis Cluster was accepted")
	}
	if !strings.Contains(err.Error(), "Redis Cluster") {
		t.Errorf("error %q does not say why", err)
	}
}
