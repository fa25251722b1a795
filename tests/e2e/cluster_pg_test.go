package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/limits/redistest"
	"github.com/facegate/facegate/store/pgtest"
)

// TestClusterOnPostgres runs three facegate nodes (the real binary, the
// default Caddyfile) on one private PostgreSQL and one private Redis, as
// FACEGATE_POSTGRES_URL and FACEGATE_REDIS_URL name them. Node 1 starts on
// an empty database and bootstraps it; nodes 2 and 3 get a copy of its
// data dir, which holds the key files and Caddy's data but no store. It
// checks that a key created through node 1 works on nodes 2 and 3, that a
// face saved and trained on node 1 is recognized on node 3, that a key
// revoked on node 2 is refused by node 1 (which had it cached), that
// pg_dump shows none of the label, uid, key id or secret, that a save
// acknowledged by node 1 survives its kill -9 and the restarted node loads
// its index from PostgreSQL, that a node with
// another store key refuses to start, and that with PostgreSQL stopped
// detect and recognize keep answering from memory on every node (the
// trained face is recognized), writes are refused with error 105, a key
// that a node has not cached yet is refused with 105 too (not 401, and
// not counted towards a lockout), /readyz answers 503 naming postgres,
// and all of it works again once PostgreSQL is back.
func TestClusterOnPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	dsn, err := pg.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	rd := redistest.Start(t)
	env := []string{"FACEGATE_POSTGRES_URL=" + dsn, "FACEGATE_REDIS_URL=" + rd.URL()}
	base := t.TempDir()
	dir1 := filepath.Join(base, "node1")
	n1 := startServer(t, dir1, env...)
	if !strings.Contains(n1.logs.String(), "in postgres") {
		t.Fatalf("node 1 did not start with its store in postgres:\n%s", n1.logs)
	}
	if _, err := os.Stat(filepath.Join(dir1, "db")); !os.IsNotExist(err) {
		t.Errorf("the data dir holds a Badger store in postgres mode (%v)", err)
	}
	adm := newSecAdmin(t, n1)
	adm.createNamespace("pgns", "pgowner")
	key, secret := adm.createKey(map[string]any{"owner": "pgowner", "namespaces": []string{"pgns"}, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": []string{"secret"}})
	for _, name := range []string{"node2", "node3"} {
		if out, err := exec.Command("cp", "-a", dir1, filepath.Join(base, name)).CombinedOutput(); err != nil {
			t.Fatalf("copying the data dir: %v %s", err, out)
		}
	}
	nodes := []*server{n1, startServer(t, filepath.Join(base, "node2"), env...), startServer(t, filepath.Join(base, "node3"), env...)}
	clients := make([]*http.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = secClient(t, n)
	}
	call := func(i int, route string, extra url.Values, img []byte) *secResp {
		t.Helper()
		p := map[string]string{"api_key": key, "api_secret": secret}
		for k, v := range extra {
			p[k] = v[0]
		}
		var imgs [][]byte
		if img != nil {
			imgs = append(imgs, img)
		}
		return secDo(t, clients[i], secMultipart(nodes[i], route, p, imgs...))
	}

	t.Run("key created through node 1 works on nodes 2 and 3", func(t *testing.T) {
		for i := range nodes {
			if r := call(i, "account/authenticate", nil, nil); !r.ok() {
				t.Errorf("node %d: %s", i+1, r)
			}
		}
	})

	const label = "Label-of-Pg-Person-4711"
	uid := "pgperson4711@pgns"
	faces := facesDir(t)
	people := flowPeople(t, faces, 1, func(n int) bool { return n >= 4 })
	var probe []byte // a photo of the trained person
	recognized := func(r *secResp) bool {
		photo := flowObj(flowArr(r.JSON["photos"])[0])
		c := flowCentreTag(photo)
		return c != nil && len(flowArr(c["uids"])) > 0 && flowObj(flowArr(c["uids"])[0])["uid"] == uid
	}
	t.Run("tags/save and train on node 1, recognize on node 3", func(t *testing.T) {
		var tids []string
		for _, img := range people[0].images[:4] {
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			r := call(0, "faces/detect", nil, data)
			if !r.ok() {
				t.Fatalf("detect on node 1: %s", r)
			}
			photo := flowObj(flowArr(r.JSON["photos"])[0])
			if c := flowCentreTag(photo); c != nil && c["recognizable"] == true {
				tids = append(tids, flowStr(c["tid"]))
				if probe == nil {
					probe = data
				}
			}
		}
		if len(tids) == 0 {
			t.Skip("no recognizable face in the person's first photos on this run")
		}
		if r := call(0, "tags/save", url.Values{"tids": {strings.Join(tids, ",")}, "uid": {uid}, "label": {label}}, nil); !r.ok() {
			t.Fatalf("tags/save on node 1: %s", r)
		}
		if r := call(0, "faces/train", url.Values{"uids": {uid}}, nil); !r.ok() {
			t.Fatalf("faces/train on node 1: %s", r)
		}
		start := time.Now()
		for {
			r := call(2, "faces/recognize", url.Values{"uids": {"all"}, "namespace": {"pgns"}}, probe)
			if !r.ok() {
				t.Fatalf("recognize on node 3: %s", r)
			}
			if recognized(r) {
				t.Logf("recognized on node 3 %v after the train on node 1 answered", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("node 3 does not recognize the face trained on node 1 after 10 s: %s", r)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("pg_dump shows no label, uid, key id or secret", func(t *testing.T) {
		dump, err := pg.Dump(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(dump, []byte("facegate_kv")) {
			t.Fatal("the dump does not hold facegate's table")
		}
		for _, s := range []string{label, uid, "pgperson4711", key, secret, "pgowner", n1.creds.AdminToken} {
			if bytes.Contains(dump, []byte(s)) {
				t.Errorf("%q in clear in pg_dump", s)
			}
		}
	})

	t.Run("revoke on node 2 is refused on node 1", func(t *testing.T) {
		victim, vsecret := adm.createKey(map[string]any{"owner": "pgowner", "namespaces": []string{"pgns"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret"}})
		authn := func() *secResp {
			return secCall(t, clients[0], nodes[0], "account/authenticate", victim, vsecret, nil)
		}
		if r := authn(); !r.ok() { // node 1 now has the key in its cache
			t.Fatalf("the new key on node 1: %s", r)
		}
		adm2 := *adm
		adm2.s, adm2.c = nodes[1], clients[1]
		if r := adm2.do(http.MethodPost, "/keys/"+victim+"/revoke", nil); r.Status != http.StatusOK {
			t.Fatalf("revoke on node 2: %s", r)
		}
		start := time.Now()
		for {
			r := authn()
			if !r.ok() {
				if r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
					t.Errorf("the revoked key on node 1: %s, want a refusal", r)
				}
				t.Logf("node 1 refused the key %v after node 2 revoked it", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("node 1 still accepts a key revoked on node 2 10 s ago")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("kill -9 after an acknowledged save; the restarted node loads its index from postgres", func(t *testing.T) {
		if probe == nil {
			t.Skip("nothing trained")
		}
		r := call(0, "faces/detect", nil, probe)
		var tid string
		if photos := flowArr(r.JSON["photos"]); r.ok() && len(photos) == 1 {
			if c := flowCentreTag(flowObj(photos[0])); c != nil {
				tid = flowStr(c["tid"])
			}
		}
		if tid == "" {
			t.Fatalf("detect on node 1: %s", r)
		}
		if r := call(0, "tags/save", url.Values{"tids": {tid}, "uid": {"killed@pgns"}}, nil); !r.ok() {
			t.Fatalf("tags/save on node 1: %s", r)
		}
		nodes[0].kill()
		if r := call(1, "tags/get", url.Values{"uids": {"killed@pgns"}}, nil); !r.ok() || len(flowArr(r.JSON["photos"])) == 0 {
			t.Errorf("the save acknowledged by node 1 before its kill -9, read on node 2: %s", r)
		}
		nodes[0].start()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := call(0, "faces/recognize", url.Values{"uids": {"all"}, "namespace": {"pgns"}}, probe)
			if r.ok() && recognized(r) {
				break
			}
			if time.Now().After(deadline) || (!r.ok() && r.code() != 105) {
				t.Fatalf("recognize on the restarted node 1: %s", r)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a node with another store key refuses to start", func(t *testing.T) {
		dir := filepath.Join(base, "stranger")
		s := &server{t: t, dataDir: dir, httpsPort: freePort(t), httpPort: freePort(t),
			adminAddr: fmt.Sprintf("localhost:%d", freePort(t)), extraEnv: env}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binPath, "serve")
		cmd.Env = s.env()
		out, err := cmd.CombinedOutput()
		if err == nil || ctx.Err() != nil {
			t.Fatalf("a node with a fresh key started (or hung) on the cluster's database: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("different key")) {
			t.Errorf("no clear reason for the refusal:\n%s", out)
		}
		if bytes.Contains(out, []byte(dsn)) {
			t.Errorf("the DSN is logged")
		}
	})

	t.Run("postgres stopped, then back", func(t *testing.T) {
		data, err := os.ReadFile(people[0].images[0])
		if err != nil {
			t.Fatal(err)
		}
		r := call(0, "faces/detect", nil, data) // recorded: its tids can be saved later
		var tids []string
		for _, tg := range flowArr(flowObj(flowArr(r.JSON["photos"])[0])["tags"]) {
			tids = append(tids, flowStr(flowObj(tg)["tid"]))
		}
		if !r.ok() || len(tids) == 0 {
			t.Fatalf("detect before the stop: %s", r)
		}
		save := func() *secResp {
			return call(0, "tags/save", url.Values{"tids": {tids[0]}, "uid": {"later@pgns"}}, nil)
		}
		// created through node 1, never used on node 3: not in its cache
		newKey, newSecret := adm.createKey(map[string]any{"owner": "pgowner", "namespaces": []string{"pgns"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret"}})
		newKeyOn3 := func() *secResp {
			return secDo(t, clients[2], secMultipart(nodes[2], "account/authenticate", map[string]string{"api_key": newKey, "api_secret": newSecret}))
		}
		if err := pg.Stop(); err != nil {
			t.Fatal(err)
		}
		for i := range nodes {
			if r := call(i, "faces/detect", nil, data); !r.ok() || len(flowArr(flowObj(flowArr(r.JSON["photos"])[0])["tags"])) == 0 {
				t.Errorf("detect on node %d with postgres down: %s", i+1, r)
			}
			if r := call(i, "faces/recognize", url.Values{"uids": {"all"}, "namespace": {"pgns"}}, probe); !r.ok() || !recognized(r) {
				t.Errorf("recognize on node %d with postgres down: %s", i+1, r)
			}
		}
		// more calls than the per-address lockout allows: all 105, none 401 or 204
		for range 12 {
			if r := newKeyOn3(); r.Status != http.StatusServiceUnavailable || r.code() != 105 || r.Header.Get("Retry-After") == "" {
				t.Fatalf("a key node 3 has not cached, with postgres down: %s Retry-After %q, want 503 error 105 with Retry-After", r, r.Header.Get("Retry-After"))
			}
		}
		for i, n := range nodes {
			// The probe's last answer may be reused for up to a second.
			deadline := time.Now().Add(5 * time.Second)
			code, body := readyz(t, n)
			for code == http.StatusOK && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				code, body = readyz(t, n)
			}
			if code != http.StatusServiceUnavailable || body.Reason != "postgres unreachable" || body.Components["postgres"] != "unreachable" {
				t.Errorf("node %d /readyz with postgres down: HTTP %d %+v, want 503 naming postgres", i+1, code, body)
			}
		}
		start := time.Now()
		if r := save(); r.Status != http.StatusServiceUnavailable || r.code() != 105 {
			t.Errorf("a write with postgres down: %s, want 503 error 105", r)
		}
		t.Logf("the refused write answered in %v", time.Since(start).Round(time.Millisecond))
		if err := pg.StartAgain(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			r := save()
			if r.ok() {
				break
			}
			if r.code() != 105 || time.Now().After(deadline) {
				t.Fatalf("tags/save after postgres came back: %s", r)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if r := call(1, "account/authenticate", nil, nil); !r.ok() {
			t.Errorf("node 2 after postgres came back: %s", r)
		}
		if r := newKeyOn3(); !r.ok() {
			t.Errorf("the key new to node 3 after postgres came back (not locked out): %s", r)
		}
		deadline = time.Now().Add(15 * time.Second)
		for i, n := range nodes {
			for {
				code, body := readyz(t, n)
				if code == http.StatusOK && body.Components["postgres"] == "ok" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("node %d /readyz still HTTP %d %+v 15 s after postgres came back", i+1, code, body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
}

// TestMigrateToPostgres moves a node's data dir into PostgreSQL with the
// real binary: `facegate migrate` reports matching counts and checksums,
// a second run changes nothing, and the node restarted on PostgreSQL (the
// same data dir, FACEGATE_POSTGRES_URL set) still knows its key and
// namespace.
func TestMigrateToPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	dsn, err := pg.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "node")
	s := startServer(t, dir)
	adm := newSecAdmin(t, s)
	key, secret := adm.secOwner("migrated", "migratedns", "secret")
	s.stop()
	migrate := func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, binPath, "migrate", "--from", dir, "--to", dsn).CombinedOutput()
		return string(out), err
	}
	out, err := migrate()
	if err != nil || !strings.Contains(out, "source and target match") || !strings.Contains(out, "nsreg") {
		t.Fatalf("facegate migrate: %v\n%s", err, out)
	}
	if strings.Contains(out, dsn) {
		t.Errorf("migrate printed the DSN")
	}
	if out, err := migrate(); err != nil || !strings.Contains(out, "source and target match") {
		t.Fatalf("second facegate migrate: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(dir, "db")); err != nil { // the node must now read PostgreSQL
		t.Fatal(err)
	}
	s.extraEnv = []string{"FACEGATE_POSTGRES_URL=" + dsn}
	s.start()
	if r := secCall(t, secClient(t, s), s, "account/authenticate", key, secret, nil); !r.ok() {
		t.Fatalf("the migrated key on the node restarted on PostgreSQL: %s", r)
	}
	if r := secCall(t, secClient(t, s), s, "faces/train", key, secret, url.Values{"uids": {"nobody@migratedns"}}); !r.ok() {
		t.Errorf("the migrated namespace on PostgreSQL: %s", r)
	}
}
