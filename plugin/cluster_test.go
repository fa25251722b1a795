package plugin

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// TestClusterCaddyfile parses the cluster block of the facegate option.
func TestClusterCaddyfile(t *testing.T) {
	for _, tc := range []struct {
		name, src, want, err string
	}{
		{"redis url", "facegate {\n cluster {\n redis redis://10.0.0.5:6379/0\n }\n}", "redis://10.0.0.5:6379/0", ""},
		{"placeholder", "facegate {\n cluster {\n redis {env.FACEGATE_REDIS_URL}\n }\n}", "{env.FACEGATE_REDIS_URL}", ""},
		{"none", "facegate {\n data_dir /tmp/x\n}", "", ""},
		{"unknown option", "facegate {\n cluster {\n postgre x\n }\n}", "", "unrecognized cluster option"},
		{"argument on the block", "facegate {\n cluster redis://x\n}", "", "wrong argument count"},
		{"two urls", "facegate {\n cluster {\n redis a b\n }\n}", "", "wrong argument count"},
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
			if err != nil || a.Cluster.Redis != tc.want {
				t.Fatalf("redis %q (%v), want %q", a.Cluster.Redis, err, tc.want)
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

// TestRedisNonces: a nonce is accepted once across clients of one Redis,
// and with Redis down the request gets a commit that fails (fail closed).
func TestRedisNonces(t *testing.T) {
	srv := redistest.Start(t)
	c1, err := openRedis(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := openRedis(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	node1 := &redisNonces{c: c1, prefix: "t:nonce:"}
	node2 := &redisNonces{c: c2, prefix: "t:nonce:"}
	exp := time.Now().Add(time.Minute)
	if replayed, c := node1.Seen("key1", "n-1", exp); replayed || c != nil {
		t.Fatalf("first use: replayed=%v commit=%v", replayed, c)
	}
	if replayed, _ := node2.Seen("key1", "n-1", exp); !replayed {
		t.Error("the same nonce on another node was not a replay")
	}
	if replayed, _ := node2.Seen("key2", "n-1", exp); replayed {
		t.Error("the same nonce for another key was refused")
	}
	srv.Kill()
	replayed, c := node1.Seen("key1", "n-2", exp)
	if replayed || c == nil || c.Wait(t.Context()) == nil {
		t.Errorf("with redis down: replayed=%v commit=%v, want a commit that fails", replayed, c)
	}
}
