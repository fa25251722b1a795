package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, installed by .ci/run.
const chromiumPath = "/usr/bin/chromium"

// consoleCookie is the console's sign-in cookie (plugin/console.CookieName).
const consoleCookie = "__Secure-facegate-console"

// consolePhoto is a shared photo with several faces.
const consolePhoto = "detection/images/2008_002079.jpg"

// consoleCodes hands out the bootstrap administrator's TOTP codes, each
// step once (the server accepts the steps around now, each once).
type consoleCodes struct {
	t    *testing.T
	uri  string
	used map[int64]bool
}

func (c *consoleCodes) next() string {
	c.t.Helper()
	now := time.Now().Unix()
	for _, step := range []int64{now/30 + 1, now / 30} {
		if !c.used[step] {
			c.used[step] = true
			return secTOTPCode(c.t, c.uri, step)
		}
	}
	time.Sleep(time.Duration(30-now%30) * time.Second)
	return c.next()
}

// leafSPKI is the base64 SHA-256 of the server certificate's public key, for
// Chromium's --ignore-certificate-errors-spki-list (the internal CA is not
// in the system trust store, and only this one certificate is let through).
func leafSPKI(t *testing.T, s *server) string {
	t.Helper()
	pem, err := os.ReadFile(s.rootCA())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := tls.Dial("tcp", fmt.Sprintf("localhost:%d", s.httpsPort), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// newBrowser starts headless Chromium with a fresh profile in a temp dir.
func newBrowser(t *testing.T, s *server) context.Context {
	t.Helper()
	var chromiumOut logBuffer
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium not installed at %s (.ci/run installs it)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", leafSPKI(t, s)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		// A fresh profile on a loaded 2-core machine can take longer than
		// chromedp's 20 s default to print its DevTools address.
		chromedp.WSURLReadTimeout(90 * time.Second),
		chromedp.CombinedOutput(&chromiumOut),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting chromium: %v\n%s", err, chromiumOut.String())
	}
	return ctx
}

// run runs browser actions and fails the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(step, actions...); err != nil {
		var flash string
		shown, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		var png []byte
		_ = chromedp.Run(shown, chromedp.Text("#flash", &flash, chromedp.ByQuery), chromedp.FullScreenshot(&png, 100))
		if dir := os.Getenv("FACEGATE_CONSOLE_SCREENSHOTS"); dir != "" && len(png) > 0 {
			_ = os.WriteFile(filepath.Join(dir, "failed.png"), png, 0o644)
		}
		t.Fatalf("%s: %v (the page says %q)", what, err, flash)
	}
}

// screenshot writes the page to $FACEGATE_CONSOLE_SCREENSHOTS/<name>.png
// when that variable names a folder (docs/console is refreshed this way).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("FACEGATE_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	run(t, ctx, "screenshot "+name, chromedp.Sleep(300*time.Millisecond), chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

type drawnBox struct {
	X, Y, W, H float64
}

// TestConsoleInBrowser drives the console in headless Chromium against the
// real binary: sign in, create a key and see its secret once, revoke it,
// run try-it on a shared photo and compare the drawn boxes with the API's.
func TestConsoleInBrowser(t *testing.T) {
	faces := facesDir(t)
	s := startServer(t, t.TempDir())
	ctx := newBrowser(t, s)
	codes := &consoleCodes{t: t, uri: s.creds.AdminTOTPURI, used: map[int64]bool{}}

	run(t, ctx, "open the console", chromedp.Navigate(s.url("/console/")), chromedp.WaitVisible("#signin-form"))
	screenshot(t, ctx, "signin")
	run(t, ctx, "sign in",
		chromedp.SendKeys("#signin-token", s.creds.AdminToken),
		chromedp.SendKeys("#signin-code", codes.next()),
		chromedp.Click("#signin-submit"),
		chromedp.WaitVisible("#keys-table"))

	var cookies []*network.Cookie
	var docCookie, tokenField string
	run(t, ctx, "read cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	}), chromedp.Evaluate(`document.cookie`, &docCookie), chromedp.Value("#signin-token", &tokenField))
	var signin *network.Cookie
	for _, c := range cookies {
		if c.Name == consoleCookie {
			signin = c
		}
	}
	if signin == nil || !signin.HTTPOnly || !signin.Secure || signin.SameSite != network.CookieSameSiteStrict || signin.Path != "/console/" {
		t.Fatalf("sign-in cookie %+v", signin)
	}
	if docCookie != "" || tokenField != "" {
		t.Errorf("script sees cookies %q or the token field still holds %d chars", docCookie, len(tokenField))
	}

	// Create a key: the secret is shown once, then gone from the page.
	var keyID, secret string
	run(t, ctx, "create a key",
		chromedp.SetValue(`#key-create input[name=owner]`, "console-e2e"),
		chromedp.SetValue(`#key-create input[name=label]`, "made in the browser"),
		chromedp.Click(`#key-create button[type=submit]`),
		chromedp.WaitVisible("#secret-value"),
		chromedp.Text("#secret-key-id", &keyID),
		chromedp.Text("#secret-value", &secret))
	run(t, ctx, "see the new key listed", chromedp.WaitVisible(`tr[data-key="`+keyID+`"]`, chromedp.ByQuery))
	if keyID == "" || len(secret) < 20 {
		t.Fatalf("created key %q, secret of %d chars", keyID, len(secret))
	}
	photo := filepath.Join(faces, consolePhoto)
	if r := s.call("/fc/faces/detect.json", map[string]string{"api_key": keyID, "api_secret": secret}, photo); r.Status != "success" {
		t.Fatalf("the secret the console showed does not work: %d %s", r.ErrorCode, r.ErrorMessage)
	}
	if r := s.call("/fc/faces/detect.json", map[string]string{"api_key": keyID, "api_secret": "not-" + secret}, photo); r.Status == "success" {
		t.Fatal("a wrong secret works")
	}
	var stillThere bool
	run(t, ctx, "dismiss the secret", chromedp.Click("#secret-done"), chromedp.WaitNotPresent("#secret-panel"),
		chromedp.Evaluate(fmt.Sprintf(`document.documentElement.outerHTML.includes(%q)`, secret), &stillThere))
	if stillThere {
		t.Error("the secret is still in the page after it was dismissed")
	}
	screenshot(t, ctx, "keys")

	// Revoke it (the button acts on its second click).
	revoke := `tr[data-key="` + keyID + `"] button.danger`
	run(t, ctx, "revoke the key", chromedp.Click(revoke), chromedp.Click(revoke),
		chromedp.WaitVisible(`tr[data-key="`+keyID+`"][data-status="revoked"]`))
	if r := s.call("/fc/faces/detect.json", map[string]string{"api_key": keyID, "api_secret": secret}, photo); r.Status == "success" {
		t.Error("the key revoked in the console still works")
	}

	// Try it with the initial key; the API's own answer for the same photo
	// gives the boxes the page must draw.
	want := s.call("/fc/faces/detect.json", map[string]string{"api_key": s.creds.APIKey, "api_secret": s.creds.APISecret, "attributes": "all"}, photo)
	if want.Status != "success" || len(want.Photos) != 1 || len(want.Photos[0].Tags) == 0 {
		t.Fatalf("direct detect: %s %d %s", want.Status, want.ErrorCode, want.ErrorMessage)
	}
	var boxesJSON, secretField, state string
	var ok bool
	run(t, ctx, "try it",
		chromedp.Click(`a[data-view="tryit"]`),
		chromedp.WaitVisible("#tryit-form"),
		chromedp.SetValue(`#tryit-form input[name=api_key]`, s.creds.APIKey),
		chromedp.SetValue(`#tryit-form input[name=api_secret]`, s.creds.APISecret),
		chromedp.SetUploadFiles(`#tryit-form input[name=photo]`, []string{photo}),
		chromedp.Click("#tryit-submit"),
		chromedp.WaitVisible(`#tryit-canvas[data-state="done"], #tryit-canvas[data-state="failed"]`),
		chromedp.AttributeValue("#tryit-canvas", "data-state", &state, &ok),
		chromedp.AttributeValue("#tryit-canvas", "data-boxes", &boxesJSON, &ok),
		chromedp.Value(`#tryit-form input[name=api_secret]`, &secretField))
	if state != "done" {
		var flash string
		_ = chromedp.Run(ctx, chromedp.Text("#flash", &flash))
		t.Fatalf("try it %s: %s", state, flash)
	}
	if secretField != "" {
		t.Error("the API secret stays in the try-it form after the call")
	}
	var drawn []drawnBox
	if err := json.Unmarshal([]byte(boxesJSON), &drawn); err != nil {
		t.Fatalf("drawn boxes %q: %v", boxesJSON, err)
	}
	f, err := os.Open(photo)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := want.Photos[0]
	if p.Width != cfg.Width || p.Height != cfg.Height {
		t.Fatalf("API photo size %dx%d, file %dx%d", p.Width, p.Height, cfg.Width, cfg.Height)
	}
	if len(drawn) != len(p.Tags) {
		t.Fatalf("drew %d boxes, the API found %d faces", len(drawn), len(p.Tags))
	}
	W, H := float64(p.Width), float64(p.Height)
	for i, tag := range p.Tags {
		exp := drawnBox{X: (tag.Center.X - tag.Width/2) * W / 100, Y: (tag.Center.Y - tag.Height/2) * H / 100, W: tag.Width * W / 100, H: tag.Height * H / 100}
		d := drawn[i]
		if math.Abs(d.X-exp.X) > 0.01 || math.Abs(d.Y-exp.Y) > 0.01 || math.Abs(d.W-exp.W) > 0.01 || math.Abs(d.H-exp.H) > 0.01 {
			t.Errorf("face %d: drawn %+v, API box %+v", i, d, exp)
		}
	}
	t.Logf("try it drew %d faces matching the API's boxes", len(drawn))
	consoleTagTrainRecognize(t, ctx, s, photo)
	screenshot(t, ctx, "tryit")
	consoleUsage(t, ctx, keyID)
	screenshot(t, ctx, "usage")
	consoleStatus(t, ctx)
	screenshot(t, ctx, "status")

	for _, v := range []struct{ view, ready string }{
		{"namespaces", "#ns-body"}, {"audit", "#audit-body tr"}, {"policies", "#policy-version"}, {"admins", "#admins-body tr"},
	} {
		run(t, ctx, "open "+v.view, chromedp.Click(`a[data-view="`+v.view+`"]`), chromedp.WaitVisible(v.ready))
		screenshot(t, ctx, v.view)
	}
	var revokedInAudit bool
	run(t, ctx, "filter the audit log", chromedp.Click(`a[data-view="audit"]`), chromedp.WaitVisible("#audit-body tr"),
		chromedp.SendKeys(`#audit-filter input[name=action]`, "key.revoke"),
		chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll('#audit-body tr')].every(r => r.dataset.action === 'key.revoke') && [...document.querySelectorAll('#audit-body tr')].some(r => r.textContent.includes(%q))`, keyID), &revokedInAudit))
	if !revokedInAudit {
		t.Error("the audit log filtered on key.revoke does not show just the revocation")
	}

	run(t, ctx, "sign out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin-form"))
	run(t, ctx, "read cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	}))
	for _, c := range cookies {
		if c.Name == consoleCookie {
			t.Error("the sign-in cookie outlives the sign-out")
		}
	}
	if strings.Contains(s.logs.String(), s.creds.AdminToken) || strings.Contains(s.logs.String(), secret) {
		t.Error("a secret was logged")
	}
}

// TestConsoleHTTP checks the console's headers, cookie flags and CSRF
// refusals with a plain HTTP client against the real binary.
func TestConsoleHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	codes := &consoleCodes{t: t, uri: s.creds.AdminTOTPURI, used: map[int64]bool{}}
	c := s.client

	resp, err := c.Get(s.url("/console/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET /console/ = %d, CSP %q", resp.StatusCode, csp)
	}

	post := func(path, body string, hdr map[string]string, ck *http.Cookie) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.url(path), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if ck != nil {
			req.AddCookie(ck)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp = post("/console/api/signin", `{"token":"`+s.creds.AdminToken+`","code":"`+codes.next()+`"}`, nil, nil)
	set := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("signin = %d", resp.StatusCode)
	}
	for _, flag := range []string{consoleCookie + "=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(set, flag) {
			t.Errorf("Set-Cookie lacks %s", flag)
		}
	}
	ck := resp.Cookies()[0]

	keyCount := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.url("/console/api/admin/keys?limit=1000"), nil)
		req.AddCookie(ck)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct{ Keys []json.RawMessage }
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
			t.Fatalf("list keys through the console = %d", resp.StatusCode)
		}
		return len(page.Keys)
	}
	before := keyCount()
	body := `{"owner":"csrf-e2e","scopes":["faces/*"]}`
	for name, hdr := range map[string]map[string]string{
		"without the CSRF token": nil,
		"with a wrong token":     {"X-CSRF-Token": "not-the-token"},
		"from another origin":    {"X-CSRF-Token": "x", "Origin": "https://evil.example"},
	} {
		if resp := post("/console/api/admin/keys", body, hdr, ck); resp.StatusCode != http.StatusForbidden {
			t.Errorf("create a key %s = %d, want 403", name, resp.StatusCode)
		}
	}
	if after := keyCount(); after != before {
		t.Fatalf("refused changes created %d keys", after-before)
	}
	// The page's token (from /me) makes the same call work.
	req, _ := http.NewRequest(http.MethodGet, s.url("/console/api/me"), nil)
	req.AddCookie(ck)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct{ CSRF string }
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp := post("/console/api/admin/keys", body, map[string]string{"X-CSRF-Token": me.CSRF}, ck); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a key with the CSRF token = %d", resp.StatusCode)
	}
	if after := keyCount(); after != before+1 {
		t.Errorf("keys %d -> %d after one create", before, after)
	}
	// Wrong codes count towards the admin lockout like the admin API's.
	for range 5 {
		post("/console/api/signin", `{"token":"`+s.creds.AdminToken+`","code":"000000"}`, nil, nil)
	}
	if resp := post("/console/api/signin", `{"token":"`+s.creds.AdminToken+`","code":"`+codes.next()+`"}`, nil, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("sign-in after 5 wrong codes = %d, want 429", resp.StatusCode)
	}
}
