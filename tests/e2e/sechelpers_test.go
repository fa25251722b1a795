package e2e

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/plugin/httpsig"
)

// Helpers of the security tests (admin_test, signature_test, security_test,
// limits_test, policy_reload_test, tls_test). Every name starts with sec so
// that they do not collide with the other e2e files of the package.

// secIPSeq hands out loopback source addresses (127.0.0.10, .11, ...). The
// guard limits failed authentications per client address (10 a minute) and
// the admin API locks an address out after 5 failures; giving each client
// of a test its own address keeps one test's failures from blocking another.
var secIPSeq atomic.Int32

func secNextIP() string {
	n := 10 + secIPSeq.Add(1)
	return fmt.Sprintf("127.0.%d.%d", n/250, 1+n%250)
}

// secClient returns an HTTPS client of s that connects from a fresh
// loopback source address.
func secClient(t testing.TB, s *server) *http.Client {
	t.Helper()
	return secClientFrom(t, s, secNextIP())
}

// secClientFrom returns an HTTPS client of s that connects from src.
func secClientFrom(t testing.TB, s *server, src string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(s.rootCA())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{
		Timeout: 90 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: "localhost"},
			DialContext:         d.DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// secResp is a raw answer: status, header, body and the body as JSON.
type secResp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// code is SkyBiometry's error_code (0 when absent).
func (r *secResp) code() int {
	if f, ok := r.JSON["error_code"].(float64); ok {
		return int(f)
	}
	return 0
}

// str returns a top-level string member.
func (r *secResp) str(k string) string {
	s, _ := r.JSON[k].(string)
	return s
}

func (r *secResp) String() string {
	return fmt.Sprintf("HTTP %d %.400s", r.Status, r.Body)
}

// ok reports a SkyBiometry success.
func (r *secResp) ok() bool { return r.Status == http.StatusOK && r.str("status") == "success" }

// secDo sends req with c and reads the whole answer.
func secDo(t testing.TB, c *http.Client, req *http.Request) *secResp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	out := &secResp{Status: resp.StatusCode, Header: resp.Header, Body: body}
	_ = json.Unmarshal(body, &out.JSON)
	return out
}

// secForm builds a urlencoded POST of a SkyBiometry route.
func secForm(s *server, route string, v url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, s.url("/fc/"+route), strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// secMultipart builds a multipart POST with params and in-memory images.
func secMultipart(s *server, route string, params map[string]string, images ...[]byte) *http.Request {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range params {
		_ = mw.WriteField(k, v)
	}
	for i, img := range images {
		part, _ := mw.CreateFormFile("files", fmt.Sprintf("img%d.png", i))
		_, _ = part.Write(img)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url("/fc/"+route), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// secCall POSTs route urlencoded with the key's secret.
func secCall(t testing.TB, c *http.Client, s *server, route, key, secret string, extra url.Values) *secResp {
	t.Helper()
	v := url.Values{"api_key": {key}, "api_secret": {secret}}
	for k, vals := range extra {
		v[k] = vals
	}
	return secDo(t, c, secForm(s, route, v))
}

// secSign signs req (whose body is body) for key with plugin/httpsig.
func secSign(t testing.TB, req *http.Request, body []byte, key, secret string, at time.Time) {
	t.Helper()
	if err := httpsig.SignRequest(req, body, key, []byte(secret), at); err != nil {
		t.Fatalf("signing: %v", err)
	}
}

// secSignedForm builds a signed urlencoded POST (no api_secret in it).
func secSignedForm(t testing.TB, s *server, route, key, secret string, v url.Values) (*http.Request, []byte) {
	t.Helper()
	body := []byte(v.Encode())
	req, _ := http.NewRequest(http.MethodPost, s.url("/fc/"+route), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	secSign(t, req, body, key, secret, time.Now())
	return req, body
}

// secResend rebuilds req with the same headers and body (for replays).
func secResend(req *http.Request, body []byte) *http.Request {
	out, _ := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	out.Header = req.Header.Clone()
	return out
}

// secPNG is a small noisy grey PNG (no face in it): a cheap image for
// limit and quota tests.
func secPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8((x*31 + y*17 + x*y) % 251)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// secStartConfig runs `facegate run --config <caddyfile>` for a Caddyfile
// made by cfg from the server's ports and data dir, and waits until it
// answers over HTTPS. The {$FACEGATE_*} placeholders of the repo's
// Caddyfiles work too, since the server's environment sets them.
func secStartConfig(t testing.TB, dataDir string, cfg func(s *server) string, env ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, httpsPort: freePort(t), httpPort: freePort(t),
		adminAddr: fmt.Sprintf("localhost:%d", freePort(t)), extraEnv: env}
	path := filepath.Join(dataDir, "Caddyfile.sec")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(cfg(s)), 0o600); err != nil {
		t.Fatal(err)
	}
	secRun(t, s, path)
	t.Cleanup(s.stop)
	return s
}

// secRun starts s with the Caddyfile at path and waits for HTTPS.
func secRun(t testing.TB, s *server, path string) {
	t.Helper()
	s.args = []string{"run", "--config", path, "--adapter", "caddyfile"}
	s.start()
}

// secLogText returns what the server has logged so far.
func secLogText(s *server) string { return s.logs.String() }

// secTOTPCode is the code of secret for a 30 s time step.
func secTOTPCode(t testing.TB, uri string, step int64) string {
	t.Helper()
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatalf("parsing TOTP URI: %v", err)
	}
	code, err := totp.GenerateCodeCustom(key.Secret(), time.Unix(step*30, 0), totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// secAdminID is one administrator of the pool and the TOTP steps it used.
type secAdminID struct {
	name, token, uri string
	used             map[int64]bool
}

// secAdmin calls the admin API. TOTP codes are single-use per 30 s step
// and the server accepts the steps around now (±1), so one administrator
// has about three codes at once and then one per step. To run many admin
// calls without waiting, the pool creates extra administrators (POST
// /admins) with its last free code: each yields three fresh codes.
type secAdmin struct {
	t   testing.TB
	s   *server
	c   *http.Client
	ids []*secAdminID
	n   int
}

// newSecAdmin starts a pool with the server's bootstrap administrator,
// calling from its own source address.
func newSecAdmin(t testing.TB, s *server) *secAdmin {
	return &secAdmin{t: t, s: s, c: secClient(t, s), ids: []*secAdminID{{
		name: "admin", token: s.creds.AdminToken, uri: s.creds.AdminTOTPURI, used: map[int64]bool{},
	}}}
}

// free lists the (administrator, step) pairs usable now: the next step is
// always safe, the current one too, the previous one only when the step
// does not end within 3 s (the server would see it two steps old).
func (a *secAdmin) free() (ids []*secAdminID, steps []int64) {
	now := time.Now().Unix()
	cur := now / 30
	cand := []int64{cur + 1, cur}
	if 30-now%30 > 3 {
		cand = append(cand, cur-1)
	}
	for _, id := range a.ids {
		for _, st := range cand {
			if !id.used[st] {
				ids, steps = append(ids, id), append(steps, st)
			}
		}
	}
	return ids, steps
}

// auth returns a fresh (token, code) pair and marks it used.
func (a *secAdmin) auth() (*secAdminID, string) {
	a.t.Helper()
	for {
		ids, steps := a.free()
		if len(ids) == 1 {
			a.grow(ids[0], steps[0])
			continue
		}
		if len(ids) == 0 {
			now := time.Now()
			time.Sleep(time.Unix((now.Unix()/30+1)*30, 0).Sub(now) + 200*time.Millisecond)
			continue
		}
		ids[0].used[steps[0]] = true
		return ids[0], secTOTPCode(a.t, ids[0].uri, steps[0])
	}
}

// grow uses the pool's last free code to create another administrator.
func (a *secAdmin) grow(id *secAdminID, step int64) {
	a.t.Helper()
	id.used[step] = true
	a.n++
	name := fmt.Sprintf("pool%d", a.n)
	r := a.raw(http.MethodPost, "/admins", id.token, secTOTPCode(a.t, id.uri, step), map[string]string{"name": name})
	if r.Status != http.StatusCreated {
		a.t.Fatalf("creating pool administrator: %s", r)
	}
	a.ids = append(a.ids, &secAdminID{name: name, token: r.str("admin_token"), uri: r.str("admin_totp_uri"), used: map[int64]bool{}})
}

// raw calls the admin API with the given token and code (either may be "").
func (a *secAdmin) raw(method, path, token, code string, body any) *secResp {
	a.t.Helper()
	return secAdminCall(a.t, a.c, a.s, method, path, token, code, body)
}

// do calls the admin API with a fresh code.
func (a *secAdmin) do(method, path string, body any) *secResp {
	a.t.Helper()
	id, code := a.auth()
	return a.raw(method, path, id.token, code, body)
}

// secAdminCall is one admin API call from client c.
func secAdminCall(t testing.TB, c *http.Client, s *server, method, path, token, code string, body any) *secResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url("/admin"+path), rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if code != "" {
		req.Header.Set("X-TOTP-Code", code)
	}
	return secDo(t, c, req)
}

// createKey creates an API key and returns its id and secret.
func (a *secAdmin) createKey(p map[string]any) (string, string) {
	a.t.Helper()
	r := a.do(http.MethodPost, "/keys", p)
	if r.Status != http.StatusCreated || r.str("api_key") == "" || r.str("api_secret") == "" {
		a.t.Fatalf("creating key %v: %s", p, r)
	}
	return r.str("api_key"), r.str("api_secret")
}

// createNamespace registers namespace name for owner.
func (a *secAdmin) createNamespace(name, owner string) {
	a.t.Helper()
	r := a.do(http.MethodPost, "/namespaces", map[string]string{"name": name, "owner": owner})
	if r.Status != http.StatusCreated {
		a.t.Fatalf("creating namespace %s: %s", name, r)
	}
}

// keyIDs lists the ids of every key.
func (a *secAdmin) keyIDs() []string {
	a.t.Helper()
	r := a.do(http.MethodGet, "/keys", nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("listing keys: %s", r)
	}
	var out struct {
		Keys []struct {
			ID string `json:"id"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		a.t.Fatal(err)
	}
	ids := make([]string, len(out.Keys))
	for i, k := range out.Keys {
		ids[i] = k.ID
	}
	return ids
}

// secOwner sets up an owner with one namespace and an unlimited key with
// every scope; it returns the key id and secret.
func (a *secAdmin) secOwner(owner, ns string, modes ...string) (string, string) {
	a.t.Helper()
	a.createNamespace(ns, owner)
	if len(modes) == 0 {
		modes = []string{"secret", "signature"}
	}
	return a.createKey(map[string]any{"owner": owner, "namespaces": []string{ns}, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": modes})
}

// secBombPNG is a valid PNG header claiming w×h pixels with a tiny IDAT:
// a decompression bomb if a server allocated what the header claims.
func secBombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		body := append([]byte(typ), data...)
		b.Write(body)
		binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(body))
		b.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 4096))
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// secFindStrings returns every string value of member name anywhere in a
// JSON document.
func secFindStrings(doc any, name string) []string {
	var out []string
	switch v := doc.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == name {
				out = append(out, s)
			} else {
				out = append(out, secFindStrings(x, name)...)
			}
		}
	case []any:
		for _, x := range v {
			out = append(out, secFindStrings(x, name)...)
		}
	}
	return out
}

// secListener accepts and counts connections on addr until the test ends.
type secListener struct {
	ln    net.Listener
	count atomic.Int32
}

func newSecListener(t testing.TB, addr string) *secListener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil
	}
	l := &secListener{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.count.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return l
}

func (l *secListener) port() int { return l.ln.Addr().(*net.TCPAddr).Port }

// secCaddyfile is the default site with extra lines in the facegate block.
func secCaddyfile(facegateExtra string) string {
	return `{
	http_port {$FACEGATE_HTTP_PORT}
	https_port {$FACEGATE_HTTPS_PORT}
	skip_install_trust
	auto_https disable_redirects
	storage file_system {$FACEGATE_DATA_DIR}/caddy
	admin {$FACEGATE_CADDY_ADMIN}
	facegate {
		data_dir {$FACEGATE_DATA_DIR}
` + facegateExtra + `
	}
}

localhost {
	tls internal
	header Strict-Transport-Security "max-age=63072000" # as in caddyfiles/
	handle /admin/* {
		facegate_admin
	}
	handle /fc/* {
		facegate_guard
		facegate_api
	}
	handle {
		facegate_guard
		respond "not found" 404
	}
}

http:// {
	facegate_https_only {$FACEGATE_HTTPS_PORT}
}
`
}

// readFileT reads a test input file.
func readFileT(path string) ([]byte, error) { return os.ReadFile(path) }
