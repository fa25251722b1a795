package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAdmin drives the admin API (facegate_admin: bearer token + TOTP) and
// the `facegate key` CLI against the real binary, and checks every key
// lifecycle step on the data API right after it.
func TestAdmin(t *testing.T) {
	s := startServer(t, t.TempDir())
	// The CLI with its defaults (the data dir's credentials file and CA, a
	// code generated for now) runs first: it takes the bootstrap
	// administrator's current step, which the pool then leaves alone.
	cmd := exec.Command(binPath, "key", "list", "--server", fmt.Sprintf("https://localhost:%d", s.httpsPort))
	cmd.Env = s.env()
	out, err := runWithTimeout(cmd, 90*time.Second)
	if err != nil || !strings.Contains(out, s.creds.APIKey) || strings.Contains(out, s.creds.APISecret) {
		t.Errorf("facegate key list with the default credentials file: %v\n%s", err, out)
	}
	adm := newSecAdmin(t, s)
	cur := time.Now().Unix() / 30
	adm.ids[0].used[cur-1], adm.ids[0].used[cur] = true, true
	adm.createNamespace("acme", "acme")
	user := secClient(t, s)
	keysBefore := adm.keyIDs()

	t.Run("refused without token and code", func(t *testing.T) {
		c := secClient(t, s)
		// A code that is valid now, used once, then replayed.
		id, good := adm.auth()
		if r := secAdminCall(t, c, s, http.MethodGet, "/keys", id.token, good, nil); r.Status != http.StatusOK {
			t.Fatalf("first use of a fresh code: %s", r)
		}
		wrongCode := "000000"
		for _, st := range []int64{-1, 0, 1} {
			if secTOTPCode(t, id.uri, time.Now().Unix()/30+st) == wrongCode {
				wrongCode = "000001"
			}
		}
		body := map[string]any{"owner": "acme", "namespaces": []string{"acme"}, "scopes": []string{"*"}}
		for _, tc := range []struct {
			name, token, code, wantErr string
		}{
			{"no token", "", "", "admin_auth_failed"},
			{"wrong token", "fga_" + strings.Repeat("x", 40), good, "admin_auth_failed"},
			{"no code", id.token, "", "admin_auth_failed"},
			{"wrong code", id.token, wrongCode, "admin_auth_failed"},
			{"replayed code", id.token, good, "totp_code_reused"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := secAdminCall(t, c, s, http.MethodPost, "/keys", tc.token, tc.code, body)
				if r.Status != http.StatusUnauthorized {
					t.Errorf("HTTP %d, want 401: %s", r.Status, r)
				}
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				if r.str("error") != tc.wantErr || r.JSON["status"] != float64(401) {
					t.Errorf("problem %s, want error %q", r.Body, tc.wantErr)
				}
			})
		}
		if after := adm.keyIDs(); !slices.Equal(after, keysBefore) {
			t.Errorf("refused calls changed the key list: %v -> %v", keysBefore, after)
		}
	})

	t.Run("lockout after repeated failures", func(t *testing.T) {
		src := secNextIP()
		c := secClientFrom(t, s, src)
		var locked *secResp
		for i := 0; i < 8 && locked == nil; i++ {
			r := secAdminCall(t, c, s, http.MethodGet, "/keys", "fga_wrong"+strconv.Itoa(i), "123456", nil)
			if r.Status == http.StatusTooManyRequests {
				locked = r
				if i < 5 {
					t.Errorf("locked out after %d failures, want 5", i)
				}
			} else if r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %s", i, r)
			}
		}
		if locked == nil {
			t.Fatal("no lockout after 8 failed authentications")
		}
		if locked.str("error") != "locked_out" || locked.Header.Get("Retry-After") == "" {
			t.Errorf("lockout answer: %s Retry-After %q", locked, locked.Header.Get("Retry-After"))
		}
		// Right credentials from the locked address are refused too...
		id, code := adm.auth()
		if r := secAdminCall(t, c, s, http.MethodGet, "/keys", id.token, code, nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("right credentials from a locked-out address: %s", r)
		}
		// ...while other addresses still work.
		if ids := adm.keyIDs(); len(ids) == 0 {
			t.Error("no keys listed from another address")
		}
	})

	var keyID, secret string
	t.Run("create, use, list and show a key", func(t *testing.T) {
		r := adm.do(http.MethodPost, "/keys", map[string]any{
			"owner": "acme", "label": "e2e", "namespaces": []string{"acme"}, "tier": "unlimited",
			"scopes": []string{"faces/*", "tags/*", "account/*"}, "auth_modes": []string{"secret", "signature"},
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %s", r)
		}
		keyID, secret = r.str("api_key"), r.str("api_secret")
		if !strings.HasPrefix(keyID, "fg_") || len(secret) < 43 {
			t.Fatalf("key %q secret length %d: want fg_ id and a ≥256-bit secret", keyID, len(secret))
		}
		if got := secCall(t, user, s, "account/authenticate", keyID, secret, nil); !got.ok() {
			t.Fatalf("new key does not authenticate: %s", got)
		}
		det := secDo(t, user, secMultipart(s, "faces/detect", map[string]string{"api_key": keyID, "api_secret": secret}, secPNG(t, 64, 64)))
		if !det.ok() {
			t.Errorf("faces/detect with the new key: %s", det)
		}
		for _, path := range []string{"/keys", "/keys/" + keyID, "/keys?owner=acme"} {
			r := adm.do(http.MethodGet, path, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), keyID) {
				t.Errorf("GET %s: %s", path, r)
			}
			secNoSecrets(t, "GET /admin"+path, r.Body, secret, s.creds.APISecret)
		}
		show := adm.do(http.MethodGet, "/keys/"+keyID, nil)
		var k struct {
			Key struct {
				Owner, Tier, Status string
				Scopes, Namespaces  []string
			} `json:"key"`
		}
		_ = json.Unmarshal(show.Body, &k)
		if k.Key.Owner != "acme" || k.Key.Tier != "unlimited" || k.Key.Status != "active" ||
			!slices.Equal(k.Key.Namespaces, []string{"acme"}) || len(k.Key.Scopes) != 3 {
			t.Errorf("show: %s", show.Body)
		}
	})
	if keyID == "" {
		t.Fatal("no key to continue with")
	}

	t.Run("scopes limit the methods", func(t *testing.T) {
		id, sec := adm.createKey(map[string]any{"owner": "acme", "namespaces": []string{"acme"},
			"scopes": []string{"account/*"}, "tier": "unlimited", "auth_modes": []string{"secret"}})
		if r := secCall(t, user, s, "account/authenticate", id, sec, nil); !r.ok() {
			t.Fatalf("in scope: %s", r)
		}
		r := secDo(t, user, secMultipart(s, "faces/detect", map[string]string{"api_key": id, "api_secret": sec}, secPNG(t, 32, 32)))
		if r.Status != http.StatusForbidden || r.code() != 307 {
			t.Errorf("out of scope: %s, want 403 error 307", r)
		}
	})

	t.Run("rotate with a grace period", func(t *testing.T) {
		r := adm.do(http.MethodPost, "/keys/"+keyID+"/rotate", map[string]any{"grace_s": 3})
		if r.Status != http.StatusOK || r.str("api_secret") == "" || r.str("api_secret") == secret {
			t.Fatalf("rotate: %s", r)
		}
		newSecret := r.str("api_secret")
		until, _ := r.JSON["previous_valid_until"].(float64)
		secNoSecrets(t, "rotate answer", r.Body, secret)
		if got := secCall(t, user, s, "account/authenticate", keyID, secret, nil); !got.ok() {
			t.Errorf("old secret within the grace period: %s", got)
		}
		if got := secCall(t, user, s, "account/authenticate", keyID, newSecret, nil); !got.ok() {
			t.Errorf("new secret: %s", got)
		}
		// Signatures with either secret work during the grace period too.
		req, _ := secSignedForm(t, s, "account/authenticate", keyID, secret, url.Values{})
		if got := secDo(t, user, req); !got.ok() {
			t.Errorf("signature with the old secret within the grace period: %s", got)
		}
		time.Sleep(time.Until(time.Unix(int64(until)+1, 100e6)))
		if got := secCall(t, user, s, "account/authenticate", keyID, secret, nil); got.Status != http.StatusUnauthorized || got.code() != 204 {
			t.Errorf("old secret after the grace period: %s, want 401 error 204", got)
		}
		req, _ = secSignedForm(t, s, "account/authenticate", keyID, secret, url.Values{})
		if got := secDo(t, user, req); got.Status != http.StatusUnauthorized {
			t.Errorf("signature with the old secret after the grace period: %s", got)
		}
		if got := secCall(t, user, s, "account/authenticate", keyID, newSecret, nil); !got.ok() {
			t.Errorf("new secret after the grace period: %s", got)
		}
		secret = newSecret
	})

	t.Run("suspend, resume, revoke", func(t *testing.T) {
		steps := []struct {
			action string
			works  bool
			status string
		}{
			{"suspend", false, "suspended"},
			{"resume", true, "active"},
			{"revoke", false, "revoked"},
		}
		for _, st := range steps {
			r := adm.do(http.MethodPost, "/keys/"+keyID+"/"+st.action, nil)
			var shown struct {
				Key struct{ Status string } `json:"key"`
			}
			_ = json.Unmarshal(r.Body, &shown)
			if r.Status != http.StatusOK || shown.Key.Status != st.status {
				t.Fatalf("%s: %s", st.action, r)
			}
			// The very next request sees the change, on every route.
			for _, route := range []string{"account/authenticate", "tags/get"} {
				extra := url.Values{}
				if route == "tags/get" {
					extra.Set("uids", "x@acme")
				}
				got := secCall(t, user, s, route, keyID, secret, extra)
				if st.works && !got.ok() {
					t.Errorf("after %s, %s: %s", st.action, route, got)
				}
				if !st.works && (got.Status != http.StatusUnauthorized || got.code() != 204) {
					t.Errorf("after %s, %s: %s, want 401 error 204", st.action, route, got)
				}
			}
		}
		if r := adm.do(http.MethodPost, "/keys/"+keyID+"/rotate", nil); r.Status != http.StatusConflict {
			t.Errorf("rotating a revoked key: %s, want 409", r)
		}
		if r := adm.do(http.MethodPost, "/keys/"+keyID+"/resume", nil); r.Status != http.StatusConflict {
			t.Errorf("resuming a revoked key: %s, want 409", r)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		exp := time.Now().Unix() + 4
		id, sec := adm.createKey(map[string]any{"owner": "acme", "namespaces": []string{"acme"},
			"scopes": []string{"*"}, "tier": "unlimited", "expires_at": exp, "auth_modes": []string{"secret"}})
		if r := secCall(t, user, s, "account/authenticate", id, sec, nil); !r.ok() {
			t.Fatalf("before expiry: %s", r)
		}
		time.Sleep(time.Until(time.Unix(exp, 200e6)))
		if r := secCall(t, user, s, "account/authenticate", id, sec, nil); r.Status != http.StatusUnauthorized || r.code() != 204 {
			t.Errorf("after expiry: %s, want 401 error 204", r)
		}
	})

	t.Run("namespaces belong to their owner", func(t *testing.T) {
		adm.createNamespace("beta", "beta-owner")
		r := adm.do(http.MethodPost, "/keys", map[string]any{"owner": "acme", "namespaces": []string{"beta"}, "scopes": []string{"*"}})
		if r.Status != http.StatusConflict {
			t.Errorf("key of owner acme on namespace beta: %s, want 409", r)
		}
		if r := adm.do(http.MethodPost, "/namespaces", map[string]string{"name": "beta", "owner": "acme"}); r.Status != http.StatusConflict {
			t.Errorf("taking over a registered namespace: %s, want 409", r)
		}
		id, sec := adm.createKey(map[string]any{"owner": "acme", "namespaces": []string{"acme"},
			"scopes": []string{"*"}, "tier": "unlimited", "auth_modes": []string{"secret"}})
		for _, p := range []url.Values{
			{"uids": {"someone@beta"}},
			{"uids": {"all"}, "namespace": {"beta"}},
		} {
			got := secCall(t, user, s, "tags/get", id, sec, p)
			if got.Status != http.StatusForbidden || got.code() != 404 || !strings.Contains(got.str("error_message"), "UNAUTHORIZED_USER_NAMESPACE") {
				t.Errorf("tags/get %v with another owner's namespace: %s, want 403 error 404 UNAUTHORIZED_USER_NAMESPACE", p, got)
			}
		}
		ns := adm.do(http.MethodGet, "/namespaces?owner=beta-owner", nil)
		if ns.Status != http.StatusOK || !strings.Contains(string(ns.Body), `"beta"`) || strings.Contains(string(ns.Body), `"acme"`) {
			t.Errorf("namespaces of beta-owner: %s", ns)
		}
	})

	t.Run("audit log lists the actions", func(t *testing.T) {
		r := adm.do(http.MethodGet, "/audit?limit=1000", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("audit: %s", r)
		}
		var out struct {
			Entries []struct {
				Time       string `json:"time"`
				Actor      string `json:"actor"`
				Action     string `json:"action"`
				Target     string `json:"target"`
				RemoteAddr string `json:"remote_addr"`
				OK         bool   `json:"ok"`
			} `json:"entries"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range out.Entries {
			if e.Target == keyID || e.Action == "namespace.create" || strings.HasPrefix(e.Action, "admin.") {
				seen[e.Action] = true
			}
			if e.Time == "" || e.Actor == "" {
				t.Errorf("audit entry without time or actor: %+v", e)
			}
		}
		for _, want := range []string{"key.create", "key.rotate", "key.suspend", "key.resume", "key.revoke",
			"namespace.create", "admin.api", "admin.api.auth", "admin.lockout", "admin.create"} {
			if !seen[want] {
				t.Errorf("audit log has no %q entry (seen %v)", want, seen)
			}
		}
		var fromWhere bool
		for _, e := range out.Entries {
			fromWhere = fromWhere || (e.Action == "admin.api" && strings.HasPrefix(e.RemoteAddr, "127."))
		}
		if !fromWhere {
			t.Error("no admin.api audit entry records the caller's address")
		}
		secNoSecrets(t, "audit log", r.Body, secret, s.creds.APISecret, s.creds.AdminToken)
	})

	t.Run("facegate key CLI", func(t *testing.T) {
		cli := func(args ...string) (string, error) {
			id, code := adm.auth()
			credFile := filepath.Join(t.TempDir(), "creds.json")
			raw, _ := json.Marshal(map[string]string{"admin_token": id.token, "admin_totp_uri": id.uri})
			if err := os.WriteFile(credFile, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			full := append([]string{"key"}, args...)
			full = append(full, "--server", fmt.Sprintf("https://localhost:%d", s.httpsPort),
				"--credentials", credFile, "--cacert", s.rootCA(), "--totp", code)
			cmd := exec.Command(binPath, full...)
			cmd.Env = s.env()
			out, err := runWithTimeout(cmd, 60*time.Second)
			return out, err
		}
		out, err := cli("create", "--owner", "acme", "--namespaces", "acme", "--scopes", "account/*", "--tier", "unlimited", "--modes", "secret")
		if err != nil {
			t.Fatalf("key create: %v\n%s", err, out)
		}
		var created struct {
			APIKey    string `json:"api_key"`
			APISecret string `json:"api_secret"`
		}
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &created); err != nil || created.APIKey == "" {
			t.Fatalf("key create output: %v\n%s", err, out)
		}
		if r := secCall(t, user, s, "account/authenticate", created.APIKey, created.APISecret, nil); !r.ok() {
			t.Errorf("key made by the CLI: %s", r)
		}
		out, err = cli("list", "--owner", "acme")
		if err != nil || !strings.Contains(out, created.APIKey) || strings.Contains(out, created.APISecret) {
			t.Errorf("key list: %v\n%s", err, out)
		}
		if out, err = cli("revoke", created.APIKey); err != nil {
			t.Fatalf("key revoke: %v\n%s", err, out)
		}
		if r := secCall(t, user, s, "account/authenticate", created.APIKey, created.APISecret, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("key revoked by the CLI still works: %s", r)
		}
	})
}

// secNoSecrets fails when body holds a secret or a field name of secret
// material.
func secNoSecrets(t testing.TB, what string, body []byte, secrets ...string) {
	t.Helper()
	text := string(body)
	for _, sec := range secrets {
		if sec != "" && strings.Contains(text, sec) {
			t.Errorf("%s contains a secret", what)
		}
	}
	lower := strings.ToLower(text)
	for _, field := range []string{"hash", "sealed", "descriptor", "pepper", "totp_secret", "token_hash"} {
		if strings.Contains(lower, `"`+field) || strings.Contains(lower, `_`+field+`"`) {
			t.Errorf("%s has a %q field: %.300s", what, field, text)
		}
	}
}
