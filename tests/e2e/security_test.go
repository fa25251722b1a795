package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOWASPAPITop10 checks docs/security.md §6, one subtest per OWASP API
// Security Top 10 (2023) item, against the real binary. Attacks assert the
// refusal and that nothing changed.
func TestOWASPAPITop10(t *testing.T) {
	png := secPNG(t, 48, 48)
	up := newSecUpstream(t, png)
	victim := newSecListener(t, "127.0.0.1:0")
	victim6 := newSecListener(t, "[::1]:0")
	s := secStartConfig(t, t.TempDir(), func(*server) string {
		return secCaddyfile(fmt.Sprintf(`		url_allow_hosts %s
		limits {
			max_body 2MiB
			max_image_bytes 1MiB
			max_images 3
			max_parts 8
		}`, up.Listener.Addr()))
	})
	adm := newSecAdmin(t, s)
	var seen secSeen // every answer, for API3
	scan := func(r *secResp) *secResp { seen.add(r); return r }

	t.Run("API8 no default keys", func(t *testing.T) {
		if ids := adm.keyIDs(); !slices.Equal(ids, []string{s.creds.APIKey}) {
			t.Errorf("a fresh server's keys are %v, want only the generated %s", ids, s.creds.APIKey)
		}
	})
	aliceKey, aliceSecret := adm.secOwner("alice", "alicens")
	bobKey, bobSecret := adm.secOwner("bob", "bobns")
	alice, bob := secClient(t, s), secClient(t, s)

	t.Run("API1 object-level authorization", func(t *testing.T) {
		img := filepath.Join(facesDir(t), "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0001.jpg")
		det := scan(secDo(t, alice, secMultipartFile(t, s, "faces/detect", map[string]string{"api_key": aliceKey, "api_secret": aliceSecret}, img)))
		tids := secFindStrings(det.JSON, "tid")
		if !det.ok() || len(tids) == 0 {
			t.Fatalf("alice detect: %s", det)
		}
		save := scan(secCall(t, alice, s, "tags/save", aliceKey, aliceSecret, url.Values{"uid": {"aaron@alicens"}, "tids": {tids[0]}}))
		if !save.ok() {
			t.Fatalf("alice tags/save: %s", save)
		}
		aliceTags := func() []string {
			r := scan(secCall(t, alice, s, "tags/get", aliceKey, aliceSecret, url.Values{"uids": {"aaron@alicens"}}))
			if !r.ok() {
				t.Fatalf("alice tags/get: %s", r)
			}
			return secFindStrings(r.JSON, "tid")
		}
		before := aliceTags()
		if len(before) == 0 {
			t.Fatalf("alice has no saved tag after tags/save: %s", save)
		}
		attacks := []struct {
			route  string
			params url.Values
			codes  []int
		}{
			{"tags/get", url.Values{"uids": {"aaron@alicens"}}, []int{404}},
			{"tags/get", url.Values{"uids": {"all"}, "namespace": {"alicens"}}, []int{404}},
			{"tags/remove", url.Values{"tids": {before[0]}}, []int{301, 405}},
			{"tags/save", url.Values{"uid": {"stolen@bobns"}, "tids": {before[0]}}, []int{301, 405}},
			{"tags/save", url.Values{"uid": {"aaron@alicens"}, "tids": {before[0]}}, []int{404}},
			{"faces/recognize", url.Values{"uids": {"all"}, "namespace": {"alicens"}, "urls": {up.URL + "/good.png"}}, []int{404}},
			{"faces/train", url.Values{"uids": {"aaron@alicens"}}, []int{404}},
			{"faces/status", url.Values{"uids": {"aaron@alicens"}}, []int{404}},
		}
		for _, a := range attacks {
			r := scan(secCall(t, bob, s, a.route, bobKey, bobSecret, a.params))
			if r.str("status") != "failure" || !slices.Contains(a.codes, r.code()) || r.Status < 400 {
				t.Errorf("bob %s %v: %s, want one of error codes %v", a.route, a.params, r, a.codes)
			}
			if strings.Contains(string(r.Body), "aaron") && a.route == "tags/get" {
				t.Errorf("bob %s leaks alice's uid: %s", a.route, r)
			}
		}
		if after := aliceTags(); !slices.Equal(after, before) {
			t.Errorf("alice's tags changed after bob's attempts: %v -> %v", before, after)
		}
	})

	t.Run("API2 broken authentication", func(t *testing.T) {
		c := secClient(t, s)
		revKey, revSecret := adm.createKey(map[string]any{"owner": "alice", "namespaces": []string{"alicens"}, "scopes": []string{"*"}, "tier": "unlimited"})
		if r := adm.do(http.MethodPost, "/keys/"+revKey+"/revoke", nil); r.Status != http.StatusOK {
			t.Fatalf("revoke: %s", r)
		}
		expKey, expSecret := adm.createKey(map[string]any{"owner": "alice", "namespaces": []string{"alicens"}, "scopes": []string{"*"},
			"tier": "unlimited", "expires_at": time.Now().Unix() + 2})
		rotKey, rotSecret := adm.createKey(map[string]any{"owner": "alice", "namespaces": []string{"alicens"}, "scopes": []string{"*"}, "tier": "unlimited"})
		if r := adm.do(http.MethodPost, "/keys/"+rotKey+"/rotate", map[string]any{"grace_s": 0}); r.Status != http.StatusOK {
			t.Fatalf("rotate: %s", r)
		}
		signed, body := secSignedForm(t, s, "account/authenticate", aliceKey, aliceSecret, url.Values{"x": {"1"}})
		if r := scan(secDo(t, c, secResend(signed, body))); !r.ok() {
			t.Fatalf("signed request: %s", r)
		}
		stale, _ := http.NewRequest(http.MethodPost, s.url("/fc/account/authenticate"), nil)
		secSign(t, stale, nil, aliceKey, aliceSecret, time.Now().Add(-time.Hour))
		tampered := secResend(signed, []byte("x=2"))
		time.Sleep(time.Until(time.Unix(time.Now().Unix()+2, 100e6)))
		cases := []struct {
			name string
			req  *http.Request
			code int
		}{
			{"unknown key", secForm(s, "account/authenticate", url.Values{"api_key": {"fg_live_aaaaaaaaaaaaaaaaaaaaaaaa"}, "api_secret": {aliceSecret}}), 201},
			{"wrong secret", secForm(s, "account/authenticate", url.Values{"api_key": {aliceKey}, "api_secret": {bobSecret}}), 204},
			{"no secret", secForm(s, "account/authenticate", url.Values{"api_key": {aliceKey}}), 204},
			{"revoked key", secForm(s, "account/authenticate", url.Values{"api_key": {revKey}, "api_secret": {revSecret}}), 204},
			{"expired key", secForm(s, "account/authenticate", url.Values{"api_key": {expKey}, "api_secret": {expSecret}}), 204},
			{"rotated-out secret", secForm(s, "account/authenticate", url.Values{"api_key": {rotKey}, "api_secret": {rotSecret}}), 204},
			{"replayed signature", secResend(signed, body), 204},
			{"stale signature", stale, 204},
			{"tampered body", tampered, 204},
		}
		for _, tc := range cases {
			r := scan(secDo(t, c, tc.req))
			if r.Status != http.StatusUnauthorized || r.code() != tc.code {
				t.Errorf("%s: %s, want 401 error %d", tc.name, r, tc.code)
			}
		}

		// Brute force: failed authentications are limited per (key id,
		// client address); once blocked, even the right secret of that key
		// is refused from there, while other keys from there and the key
		// from other addresses are unaffected (lockout_test.go has the rest).
		victimKey, victimSecret := adm.createKey(map[string]any{"owner": "alice", "namespaces": []string{"alicens"}, "scopes": []string{"*"}, "tier": "unlimited"})
		guesser := secClient(t, s)
		var blocked *secResp
		for i := 0; i < 15 && blocked == nil; i++ {
			r := scan(secCall(t, guesser, s, "account/authenticate", victimKey, "guess"+strconv.Itoa(i), nil))
			if r.Status == http.StatusTooManyRequests {
				blocked = r
			} else if r.Status != http.StatusUnauthorized {
				t.Fatalf("guess %d: %s", i, r)
			}
		}
		if blocked == nil || blocked.code() != 204 || blocked.Header.Get("Retry-After") == "" {
			t.Fatalf("15 wrong secrets from one address: last answer %v, want 429 error 204 with Retry-After", blocked)
		}
		if r := scan(secCall(t, guesser, s, "account/authenticate", victimKey, victimSecret, nil)); r.Status != http.StatusTooManyRequests {
			t.Errorf("right credentials of the guessed key from the blocked address: %s, want 429", r)
		}
		if r := scan(secCall(t, guesser, s, "account/authenticate", bobKey, bobSecret, nil)); !r.ok() {
			t.Errorf("another key from the address that guessed one: %s", r)
		}
		if r := scan(secCall(t, secClient(t, s), s, "account/authenticate", victimKey, victimSecret, nil)); !r.ok() {
			t.Errorf("the guessed key's holder from another address: %s", r)
		}
		if r := scan(secCall(t, secClient(t, s), s, "account/authenticate", victimKey, "guess-from-elsewhere", nil)); r.Status != http.StatusUnauthorized {
			t.Errorf("a further guess on the key from another address: %s, want 401", r)
		}
	})

	t.Run("API4 resource consumption", func(t *testing.T) {
		c := secClient(t, s)
		cred := map[string]string{"api_key": aliceKey, "api_secret": aliceSecret}
		big := bytes.Repeat([]byte("a"), 3<<20)
		chunked := secMultipart(s, "faces/detect", cred, big)
		chunked.ContentLength = -1 // no Content-Length: the limit holds while reading
		many := map[string]string{"api_key": aliceKey, "api_secret": aliceSecret}
		for i := range 9 {
			many["p"+strconv.Itoa(i)] = "v"
		}
		cases := []struct {
			name   string
			req    *http.Request
			status int
		}{
			{"body over max_body", secMultipart(s, "faces/detect", cred, big), http.StatusRequestEntityTooLarge},
			{"chunked body over max_body", chunked, http.StatusRequestEntityTooLarge},
			{"image over max_image_bytes", secMultipart(s, "faces/detect", cred, append(bytes.Clone(png), make([]byte, 1<<20)...)), http.StatusRequestEntityTooLarge},
			{"too many multipart parts", secMultipart(s, "faces/detect", many, png), http.StatusRequestEntityTooLarge},
			{"too many images", secMultipart(s, "faces/detect", cred, png, png, png, png), http.StatusBadRequest},
		}
		for _, tc := range cases {
			r := scan(secDo(t, c, tc.req))
			if r.Status != tc.status || r.str("status") != "failure" {
				t.Errorf("%s: %s, want HTTP %d", tc.name, r, tc.status)
			}
		}
		start := time.Now()
		r := scan(secDo(t, c, secMultipart(s, "faces/detect", cred, secBombPNG(40000, 40000))))
		if took := time.Since(start); r.str("status") != "failure" || r.Status < 400 || r.Status >= 500 || took > 3*time.Second {
			t.Errorf("40000×40000 PNG header: %s after %v, want a fast 4xx", r, took)
		}
		if ok := scan(secCall(t, c, s, "account/authenticate", aliceKey, aliceSecret, nil)); !ok.ok() {
			t.Errorf("server unhealthy after the limit tests: %s", ok)
		}

		// Concurrency: one slot; a call fetching a slow url holds it.
		adm.createNamespace("concns", "conc")
		ck, cs := adm.createKey(map[string]any{"owner": "conc", "namespaces": []string{"concns"}, "scopes": []string{"*"}, "tier": "unlimited",
			"limits": map[string]any{"concurrency": map[string]any{"kind": "concurrency", "count": 1}}})
		var wg sync.WaitGroup
		wg.Add(1)
		var slow *secResp
		go func() {
			defer wg.Done()
			slow = secCall(t, secClient(t, s), s, "faces/detect", ck, cs, url.Values{"urls": {up.URL + "/slow.png"}})
		}()
		up.waitSlow(t)
		second := scan(secCall(t, c, s, "faces/detect", ck, cs, url.Values{"urls": {up.URL + "/good.png"}}))
		wg.Wait()
		if second.Status != http.StatusTooManyRequests || second.code() != 203 || second.Header.Get("Retry-After") == "" {
			t.Errorf("second concurrent call: %s Retry-After %q, want 429 error 203", second, second.Header.Get("Retry-After"))
		}
		if !slow.ok() {
			t.Errorf("the slow call holding the slot: %s", slow)
		}
		if r := scan(secCall(t, c, s, "faces/detect", ck, cs, url.Values{"urls": {up.URL + "/good.png"}})); !r.ok() {
			t.Errorf("after the slot was released: %s", r)
		}

		// Quota: 3 images an hour, charged per image.
		adm.createNamespace("quotans", "quota")
		qk, qs := adm.createKey(map[string]any{"owner": "quota", "namespaces": []string{"quotans"}, "scopes": []string{"*"}, "tier": "unlimited",
			"limits": map[string]any{"quota": map[string]any{"kind": "quota", "count": 3, "per_s": 3600}}})
		qcred := map[string]string{"api_key": qk, "api_secret": qs}
		first := scan(secDo(t, c, secMultipart(s, "faces/detect", qcred, png, png)))
		var usage struct{ Used, Remaining, Limit int }
		_ = json.Unmarshal(secRaw(first.JSON["usage"]), &usage)
		if !first.ok() || usage.Remaining != 1 || usage.Limit != 3 {
			t.Errorf("2 of 3 images: %s usage %+v, want remaining 1 of 3", first, usage)
		}
		over := scan(secDo(t, c, secMultipart(s, "faces/detect", qcred, png, png)))
		if over.Status != http.StatusTooManyRequests || over.code() != 202 || over.Header.Get("Retry-After") == "" ||
			over.Header.Get("RateLimit") == "" || over.Header.Get("RateLimit-Policy") == "" {
			t.Errorf("2 more images: %s headers %v, want 429 error 202 with Retry-After and RateLimit headers", over, over.Header)
		}
		if last := scan(secDo(t, c, secMultipart(s, "faces/detect", qcred, png))); !last.ok() {
			t.Errorf("the last image of the quota: %s", last)
		}
	})

	t.Run("API5 function-level authorization", func(t *testing.T) {
		c := secClient(t, s)
		id, _ := adm.auth()
		before := adm.keyIDs()
		for _, tc := range []struct {
			name, method, path string
			header             http.Header
		}{
			{"admin token without TOTP", http.MethodPost, "/admin/keys", http.Header{"Authorization": {"Bearer " + id.token}}},
			{"admin token without TOTP on reload", http.MethodPost, "/admin/policies/reload", http.Header{"Authorization": {"Bearer " + id.token}}},
			{"data api_secret as bearer", http.MethodPost, "/admin/keys", http.Header{"Authorization": {"Bearer " + aliceSecret}, "X-Totp-Code": {"123456"}}},
			{"data key parameters", http.MethodPost, "/admin/keys?api_key=" + aliceKey + "&api_secret=" + url.QueryEscape(aliceSecret), nil},
		} {
			req, _ := http.NewRequest(tc.method, s.url(tc.path), strings.NewReader(`{"owner":"alice","namespaces":["alicens"],"scopes":["*"]}`))
			for k, v := range tc.header {
				req.Header[k] = v
			}
			r := scan(secDo(t, c, req))
			if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s: %s, want 401 problem+json", tc.name, r)
			}
		}
		// A data key signature does not open admin routes either.
		req, _ := http.NewRequest(http.MethodGet, s.url("/admin/keys"), nil)
		secSign(t, req, nil, aliceKey, aliceSecret, time.Now())
		if r := scan(secDo(t, c, req)); r.Status != http.StatusUnauthorized {
			t.Errorf("signed data request on /admin/keys: %s", r)
		}
		if after := adm.keyIDs(); !slices.Equal(after, before) {
			t.Errorf("refused admin calls changed the keys: %v -> %v", before, after)
		}
	})

	t.Run("API6 bulk enumeration is bounded", func(t *testing.T) {
		uids := make([]string, 1001)
		for i := range uids {
			uids[i] = "u" + strconv.Itoa(i) + "@alicens"
		}
		for _, tc := range []struct {
			name   string
			params url.Values
			code   int
		}{
			{"1001 uids", url.Values{"uids": {strings.Join(uids, ",")}}, 407},
			{"limit over the maximum", url.Values{"uids": {"all"}, "namespace": {"alicens"}, "limit": {"100000"}}, 406},
			{"uids=all without a namespace", url.Values{"uids": {"all"}}, 403},
		} {
			r := scan(secCall(t, alice, s, "tags/get", aliceKey, aliceSecret, tc.params))
			if r.Status != http.StatusBadRequest || r.code() != tc.code {
				t.Errorf("%s: %s, want 400 error %d", tc.name, r, tc.code)
			}
		}
	})

	t.Run("API7 server-side request forgery", func(t *testing.T) {
		targets := []string{
			fmt.Sprintf("http://127.0.0.1:%d/x.png", victim.port()),
			fmt.Sprintf("http://localhost:%d/x.png", victim.port()),
			fmt.Sprintf("http://0.0.0.0:%d/x.png", victim.port()),
			fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/x.png", victim.port()),
			fmt.Sprintf("http://2130706433:%d/x.png", victim.port()),
			up.URL + "/redirect?to=" + url.QueryEscape(fmt.Sprintf("http://127.0.0.1:%d/x.png", victim.port())),
			"http://169.254.169.254/latest/meta-data/",
			"http://10.0.0.1/x.png",
			"http://[fd00::1]/x.png",
			"file:///etc/passwd",
			"gopher://127.0.0.1:25/",
		}
		if victim6 != nil {
			targets = append(targets, fmt.Sprintf("http://[::1]:%d/x.png", victim6.port()))
		}
		c := secClient(t, s)
		for _, u := range targets {
			start := time.Now()
			r := scan(secCall(t, c, s, "faces/detect", aliceKey, aliceSecret, url.Values{"urls": {u}}))
			if r.ok() || r.Status < 400 || r.Status >= 500 {
				t.Errorf("urls=%s: %s, want a 4xx refusal", u, r)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("urls=%s took %v: refused addresses must not be dialled", u, took)
			}
		}
		if n := victim.count.Load(); n != 0 {
			t.Errorf("the 127.0.0.1 listener got %d connections", n)
		}
		if victim6 != nil && victim6.count.Load() != 0 {
			t.Errorf("the [::1] listener got %d connections", victim6.count.Load())
		}
		// The allowlisted upstream works: the refusals are about the address.
		if r := scan(secCall(t, c, s, "faces/detect", aliceKey, aliceSecret, url.Values{"urls": {up.URL + "/good.png"}})); !r.ok() {
			t.Errorf("allowlisted url: %s", r)
		}
	})

	t.Run("API8 security misconfiguration", func(t *testing.T) {
		addr := fmt.Sprintf("127.0.0.1:%d", s.httpsPort)
		for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
			if err := secHandshake(addr, v, v, nil); err == nil {
				t.Errorf("TLS %s handshake succeeded", tls.VersionName(v))
			}
		}
		if err := secHandshake(addr, tls.VersionTLS12, tls.VersionTLS12, nil); err != nil {
			t.Errorf("TLS 1.2 handshake: %v", err)
		}
		r := scan(secCall(t, alice, s, "account/authenticate", aliceKey, aliceSecret, nil))
		if got := r.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=63072000") {
			t.Errorf("Strict-Transport-Security = %q", got)
		}
		// JSONP is off by default.
		r = scan(secCall(t, alice, s, "account/authenticate", aliceKey, aliceSecret, url.Values{"callback": {"steal"}}))
		if r.ok() || r.Status != http.StatusBadRequest || strings.HasPrefix(string(r.Body), "steal(") {
			t.Errorf("JSONP callback with JSONP off: %s, want 400", r)
		}
		// Plain HTTP never serves nor redirects a secret-bearing call.
		plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := plain.PostForm(fmt.Sprintf("http://localhost:%d/fc/account/authenticate", s.httpPort),
			url.Values{"api_key": {aliceKey}, "api_secret": {aliceSecret}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Errorf("secret over plain HTTP: HTTP %d Location %q, want 403 without a redirect", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("API9 unknown routes", func(t *testing.T) {
		c := secClient(t, s)
		for _, path := range []string{"/fc/faces/unknown", "/fc/admin/keys", "/fc/tags/get/extra", "/debug/pprof/", "/metrics", "/.env"} {
			req := secForm(s, "x", url.Values{"api_key": {aliceKey}, "api_secret": {aliceSecret}})
			req.URL.Path = path
			r := scan(secDo(t, c, req))
			if r.Status != http.StatusNotFound || r.code() != 401 || !strings.Contains(r.str("error_message"), "UNKNWOWN_REST_METHOD") {
				t.Errorf("%s: %s, want 404 error 401 UNKNWOWN_REST_METHOD", path, r)
			}
		}
		req, _ := http.NewRequest(http.MethodDelete, s.url("/fc/tags/get?api_key="+aliceKey+"&api_secret="+url.QueryEscape(aliceSecret)), nil)
		if r := scan(secDo(t, c, req)); r.Status != http.StatusMethodNotAllowed || r.code() != 401 {
			t.Errorf("DELETE /fc/tags/get: %s, want 405 error 401", r)
		}
	})

	t.Run("API10 unsafe consumption of url content", func(t *testing.T) {
		c := secClient(t, s)
		for _, tc := range []struct{ path, why string }{
			{"/page.html", "text/html"},
			{"/big.jpg", "oversized body"},
			{"/liar.png", "image content type with HTML bytes"},
		} {
			r := scan(secCall(t, c, s, "faces/detect", aliceKey, aliceSecret, url.Values{"urls": {up.URL + tc.path}}))
			if r.ok() || r.Status < 400 || r.Status >= 500 {
				t.Errorf("%s (%s): %s, want a 4xx refusal", tc.path, tc.why, r)
			}
		}
	})

	t.Run("API3 no secret or internal field in any response", func(t *testing.T) {
		// A few more answers that echo key or account data.
		for _, route := range []string{"account/limits", "account/users", "account/namespaces", "account/authenticate"} {
			scan(secCall(t, alice, s, route, aliceKey, aliceSecret, url.Values{"namespaces": {"alicens"}}))
		}
		for _, path := range []string{"/keys", "/keys/" + aliceKey, "/audit", "/namespaces", "/admins"} {
			seen.add(adm.do(http.MethodGet, path, nil))
		}
		secrets := []string{aliceSecret, bobSecret, s.creds.APISecret, s.creds.AdminToken}
		for i, r := range seen.list() {
			secNoSecrets(t, fmt.Sprintf("answer %d (HTTP %d)", i, r.Status), r.Body, secrets...)
		}
		// Nor in the server's own log output.
		logs := secLogText(s)
		for _, sec := range secrets {
			if strings.Contains(logs, sec) {
				t.Error("a secret appears in the server's log output")
			}
		}
		if len(seen.list()) < 40 {
			t.Errorf("only %d answers scanned", len(seen.list()))
		}
	})
}

// secSeen collects answers.
type secSeen struct {
	mu  sync.Mutex
	all []*secResp
}

func (s *secSeen) add(r *secResp) {
	s.mu.Lock()
	s.all = append(s.all, r)
	s.mu.Unlock()
}

func (s *secSeen) list() []*secResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.all)
}

// secRaw re-encodes a decoded JSON value.
func secRaw(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// secHandshake dials addr with the TLS version range and suites given.
func secHandshake(addr string, minV, maxV uint16, suites []uint16) error {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{
		ServerName: "localhost", InsecureSkipVerify: true, // only the protocol is under test
		MinVersion: minV, MaxVersion: maxV, CipherSuites: suites,
	})
	if err != nil {
		return err
	}
	return conn.Close()
}

// secUpstream is an allowlisted image server for `urls`.
type secUpstream struct {
	*httptest.Server
	slowStarted chan struct{}
}

func newSecUpstream(t testing.TB, png []byte) *secUpstream {
	u := &secUpstream{slowStarted: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("/good.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	})
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		u.slowStarted <- struct{}{}
		time.Sleep(1500 * time.Millisecond)
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	})
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>not an image</body></html>"))
	})
	mux.HandleFunc("/liar.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write([]byte("<html><body>not an image</body></html>"))
	})
	mux.HandleFunc("/big.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		chunk := bytes.Repeat([]byte{0xff}, 64<<10)
		for range 48 { // 3 MiB, over max_image_bytes
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

// waitSlow waits until a /slow.png download has started.
func (u *secUpstream) waitSlow(t testing.TB) {
	t.Helper()
	select {
	case <-u.slowStarted:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow download never started")
	}
}

// secMultipartFile is secMultipart with an image file from disk.
func secMultipartFile(t testing.TB, s *server, route string, params map[string]string, path string) *http.Request {
	t.Helper()
	data, err := readFileT(path)
	if err != nil {
		t.Fatal(err)
	}
	return secMultipart(s, route, params, data)
}
