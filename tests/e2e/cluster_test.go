package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/limits/redistest"
)

// TestClusterOnRedis runs three facegate nodes (the real binary, the default
// Caddyfile, separate data dirs copied from one first start so that they
// hold the same keys and internal CA) on one private redis-server, as
// FACEGATE_REDIS_URL names it. A client that reaches each node under one
// authority (as behind a load balancer) checks that 75 concurrent calls
// spread over the nodes against a quota of 25 admit exactly 25 (each
// usage.remaining once), that a signed request accepted by one node is a
// replay on the others, that failed authentications counted on two nodes
// lock the address out on the third, that an admin TOTP code accepted by
// one node is refused as reused by another, and that with Redis killed the nodes refuse with
// 503, error 105 and Retry-After and their /readyz answers 503 naming
// redis, then serve again (and /readyz 200) by themselves once Redis is back.
func TestClusterOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	env := "FACEGATE_REDIS_URL=" + srv.URL()
	base := t.TempDir()
	dir1 := filepath.Join(base, "node1")
	n1 := startServer(t, dir1, env)
	if !bytes.Contains([]byte(n1.logs.String()), []byte("cluster mode")) {
		t.Fatalf("node 1 did not start in cluster mode:\n%s", n1.logs)
	}
	adm := newSecAdmin(t, n1)
	adm.createNamespace("clusterns", "cluster")
	const quota = 25
	key, secret := adm.createKey(map[string]any{"owner": "cluster", "namespaces": []string{"clusterns"}, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": []string{"secret", "signature"}, "limits": map[string]any{
			"quota": map[string]any{"kind": "quota", "count": quota, "per_s": 3600},
		}})
	const sigQuota = 10
	sigKey, sigSecret := adm.createKey(map[string]any{"owner": "cluster", "namespaces": []string{"clusterns"}, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": []string{"signature"}, "limits": map[string]any{
			"quota": map[string]any{"kind": "quota", "count": sigQuota, "per_s": 3600},
		}})
	concKey, concSecret := adm.createKey(map[string]any{"owner": "cluster", "namespaces": []string{"clusterns"}, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": []string{"secret"}, "limits": map[string]any{
			"concurrency": map[string]any{"kind": "concurrency", "count": 1},
		}})
	n1.stop()
	for _, name := range []string{"node2", "node3"} {
		if out, err := exec.Command("cp", "-a", dir1, filepath.Join(base, name)).CombinedOutput(); err != nil {
			t.Fatalf("copying the data dir: %v %s", err, out)
		}
	}
	n1.start()
	nodes := []*server{n1, startServer(t, filepath.Join(base, "node2"), env), startServer(t, filepath.Join(base, "node3"), env)}
	authority := fmt.Sprintf("localhost:%d", n1.httpsPort)
	clients := make([]*http.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = clusterClient(t, n1.rootCA(), n.httpsPort, secNextIP())
	}
	png := secPNG(t, 32, 32)
	detect := func(i int) *secResp {
		req := secMultipart(n1, "faces/detect", map[string]string{"api_key": key, "api_secret": secret}, png)
		req.URL.Host = authority
		return secDo(t, clients[i%len(nodes)], req)
	}

	t.Run("exact quota over three nodes", func(t *testing.T) {
		res := secBurst(t, 3*quota, detect)
		var remaining []int
		perNode := make([]int, len(nodes))
		for i, r := range res {
			switch {
			case r.ok():
				remaining = append(remaining, secUsage(r).Remaining)
				perNode[i%len(nodes)]++
			case r.Status == http.StatusTooManyRequests && r.code() == 202 && r.Header.Get("Retry-After") != "":
			default:
				t.Errorf("unexpected answer from node %d: %s\n%s", i%len(nodes)+1, r, clusterRedisLogs(nodes[i%len(nodes)]))
			}
		}
		slices.Sort(remaining)
		want := make([]int, quota)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(remaining, want) {
			t.Errorf("%d calls passed with usage.remaining %v, want exactly %d with 0..%d each once", len(remaining), remaining, quota, quota-1)
		}
		t.Logf("admitted per node: %v", perNode)
	})

	t.Run("replay on another node", func(t *testing.T) {
		body := []byte(url.Values{"n": {"cluster"}}.Encode())
		req, _ := http.NewRequest(http.MethodPost, "https://"+authority+"/fc/account/authenticate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		secSign(t, req, body, key, secret, time.Now())
		if r := secDo(t, clients[0], secResend(req, body)); !r.ok() {
			t.Fatalf("signed request refused by node 1: %s", r)
		}
		for i := 1; i < len(nodes); i++ {
			r := secDo(t, clients[i], secResend(req, body))
			if r.ok() || r.Status != http.StatusUnauthorized || r.code() != 204 {
				t.Errorf("replay on node %d: %s, want 401 error 204", i+1, r)
			}
		}
	})

	t.Run("replay in the admission script charges nothing", func(t *testing.T) {
		// One signed detect (one image against the quota); its replays on the
		// same node and on another are refused, and the next fresh request is
		// charged as the second.
		orig := secMultipart(n1, "faces/detect", nil, png)
		body, err := io.ReadAll(orig.Body)
		if err != nil {
			t.Fatal(err)
		}
		signed := func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, "https://"+authority+"/fc/faces/detect", bytes.NewReader(body))
			req.Header.Set("Content-Type", orig.Header.Get("Content-Type"))
			secSign(t, req, body, sigKey, sigSecret, time.Now())
			return req
		}
		first := signed()
		r := secDo(t, clients[0], secResend(first, body))
		if !r.ok() || secUsage(r).Remaining != sigQuota-1 {
			t.Fatalf("signed detect on node 1: %s, want success with %d remaining", r, sigQuota-1)
		}
		for _, i := range []int{0, 1} {
			if r := secDo(t, clients[i], secResend(first, body)); r.Status != http.StatusUnauthorized || r.code() != 204 {
				t.Errorf("replay on node %d: %s, want 401 error 204", i+1, r)
			}
		}
		if r := secDo(t, clients[2], signed()); !r.ok() || secUsage(r).Remaining != sigQuota-2 {
			t.Errorf("fresh signed detect on node 3 after two replays: %s, want %d remaining (replays charge nothing)", r, sigQuota-2)
		}
	})

	t.Run("concurrency slot released after the response", func(t *testing.T) {
		// A key allowed one request at a time, called one request after the
		// other over the three nodes: each finds the slot of the one before
		// released (a release completes before its answer), and none is
		// left held in Redis.
		for i := range 30 {
			req := secForm(n1, "account/authenticate", url.Values{"api_key": {concKey}, "api_secret": {concSecret}})
			req.URL.Host = authority
			if r := secDo(t, clients[i%len(nodes)], req); !r.ok() {
				t.Fatalf("call %d on node %d, after the previous answer: %s", i+1, i%len(nodes)+1, r)
			}
		}
		c, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{srv.Addr}, DisableCache: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Redis drops a sorted set with its last member: none may be left
		// with one.
		sets, err := c.Do(t.Context(), c.B().Keys().Pattern("facegate:limits:l:*:c:concurrency").Build()).AsStrSlice()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range sets {
			if n, err := c.Do(t.Context(), c.B().Zcard().Key(k).Build()).AsInt64(); err != nil || n != 0 {
				t.Errorf("%d concurrency slots still held in redis after the last answer (%v)", n, err)
			}
		}
	})

	t.Run("lockout counted on one node refuses on another", func(t *testing.T) {
		src := secNextIP()
		send := func(node int, sec string) *secResp {
			req := secForm(n1, "account/authenticate", url.Values{"api_key": {key}, "api_secret": {sec}})
			req.URL.Host = authority
			return secDo(t, clusterClient(t, n1.rootCA(), nodes[node].httpsPort, src), req)
		}
		for i := range 10 {
			if r := send(i%2, "wrong"); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong secret %d: %s", i, r)
			}
		}
		r := send(2, secret)
		if r.Status != http.StatusTooManyRequests || r.code() != 204 || r.Header.Get("Retry-After") == "" {
			t.Errorf("correct secret on node 3 from the address that failed 10 times on nodes 1 and 2: %s, want 429 error 204", r)
		}
		if r := send(2, secret); r.Status != http.StatusTooManyRequests {
			t.Errorf("second try from the locked-out address: %s", r)
		}
	})

	t.Run("admin TOTP code used on one node is refused by another", func(t *testing.T) {
		// The bootstrap administrator (in every node's copy of the store; the
		// pool's later administrators are on node 1 only) and a step it has
		// not used yet.
		id := adm.ids[0]
		step := time.Now().Unix()/30 + 1
		for id.used[step] {
			time.Sleep(time.Until(time.Unix((time.Now().Unix()/30+1)*30, 0)) + 200*time.Millisecond)
			step = time.Now().Unix()/30 + 1
		}
		id.used[step] = true
		code := secTOTPCode(t, id.uri, step)
		if r := secAdminCall(t, clients[0], n1, http.MethodGet, "/keys", id.token, code, nil); r.Status != http.StatusOK {
			t.Fatalf("node 1 refused a fresh code: %s", r)
		}
		r := secAdminCall(t, clients[1], n1, http.MethodGet, "/keys", id.token, code, nil)
		if r.Status != http.StatusUnauthorized || !bytes.Contains(r.Body, []byte("totp_code_reused")) {
			t.Errorf("node 2 with the code node 1 accepted: %s, want 401 totp_code_reused", r)
		}
	})

	t.Run("redis killed, then back", func(t *testing.T) {
		authn := func(i int) *secResp {
			req := secForm(n1, "account/authenticate", url.Values{"api_key": {key}, "api_secret": {secret}})
			req.URL.Host = authority
			return secDo(t, clients[i], req)
		}
		srv.Kill()
		for i, n := range nodes {
			// The probe's last PING answer may be reused for up to a second.
			deadline := time.Now().Add(5 * time.Second)
			code, body := readyz(t, n)
			for code == http.StatusOK && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				code, body = readyz(t, n)
			}
			if code != http.StatusServiceUnavailable || body.Reason != "redis unreachable" || body.Components["redis"] != "unreachable" || body.Components["store"] != "ok" {
				t.Errorf("node %d /readyz with redis down: HTTP %d %+v, want 503 naming redis", i+1, code, body)
			}
		}
		for i := range nodes {
			r := authn(i)
			if r.Status != http.StatusServiceUnavailable || r.code() != 105 || r.Header.Get("Retry-After") == "" {
				t.Errorf("node %d with redis down: %s Retry-After %q, want 503 error 105 with Retry-After", i+1, r, r.Header.Get("Retry-After"))
			}
		}
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
		for i := range nodes {
			deadline := time.Now().Add(15 * time.Second)
			for {
				r := authn(i)
				if r.ok() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("node %d still refuses 15 s after redis came back: %s", i+1, r)
				}
				time.Sleep(100 * time.Millisecond)
			}
			// The ready probe's answer is reused for a second at most.
			for {
				code, body := readyz(t, nodes[i])
				if code == http.StatusOK && body.Components["redis"] == "ok" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("node %d /readyz still HTTP %d %+v 15 s after redis came back", i+1, code, body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
}

// clusterRedisLogs is what a node logged about Redis (for failures).
func clusterRedisLogs(s *server) string {
	var out []string
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, "redis") {
			out = append(out, l)
		}
	}
	return strings.Join(out[max(0, len(out)-5):], "\n")
}

// clusterClient trusts the nodes' internal CA (rootCA) and connects to port
// whatever the URL's port, so that every node is reached under one
// authority, as behind a load balancer.
func clusterClient(t testing.TB, rootCA string, port int, src string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(rootCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", port))
			},
			MaxIdleConnsPerHost: 64,
		},
	}
}
