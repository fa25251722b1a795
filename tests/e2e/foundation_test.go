package e2e

import (
	"bufio"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gtBox is one ground-truth face of detection/boxes.txt, in pixels.
type gtBox struct{ x, y, w, h float64 }

func readBoxes(t *testing.T, dir string) map[string][]gtBox {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "detection", "boxes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]gtBox{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 5 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(fields[i+1], 64)
		}
		out[fields[0]] = append(out[fields[0]], gtBox{v[0], v[1], v[2], v[3]})
	}
	return out
}

func iou(a, b gtBox) float64 {
	x0, y0 := max(a.x, b.x), max(a.y, b.y)
	x1, y1 := min(a.x+a.w, b.x+b.w), min(a.y+a.h, b.y+b.h)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	inter := (x1 - x0) * (y1 - y0)
	return inter / (a.w*a.h + b.w*b.h - inter)
}

// tagBox converts a tag's percent centre/size to a pixel box.
func tagBox(p fcPhoto, tg fcTag) gtBox {
	w, h := tg.Width*float64(p.Width)/100, tg.Height*float64(p.Height)/100
	return gtBox{tg.Center.X*float64(p.Width)/100 - w/2, tg.Center.Y*float64(p.Height)/100 - h/2, w, h}
}

// TestFoundation runs one server through the foundation issue's checklist.
func TestFoundation(t *testing.T) {
	faces := facesDir(t)
	dataDir := t.TempDir()
	s := startServer(t, dataDir)

	t.Run("credentials file is private and complete", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(dataDir, "initial-credentials.json"))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("credentials file mode = %v, want 0600", fi.Mode().Perm())
		}
		if !strings.HasPrefix(s.creds.APIKey, "fg_") || len(s.creds.APISecret) < 40 ||
			s.creds.AdminToken == "" || !strings.HasPrefix(s.creds.AdminTOTPURI, "otpauth://totp/") {
			t.Errorf("incomplete credentials: key %q, secret length %d", s.creds.APIKey, len(s.creds.APISecret))
		}
		if strings.Contains(s.logs.String(), s.creds.APISecret) || strings.Contains(s.logs.String(), s.creds.AdminToken) {
			t.Error("a secret appeared in the server's log output")
		}
	})

	t.Run("detect finds the annotated faces", func(t *testing.T) {
		boxes := readBoxes(t, faces)
		var gtTotal, matched, detected int
		for img, gts := range boxes {
			start := time.Now()
			resp := s.call("faces/detect", s.keyParams(), filepath.Join(faces, "detection", img))
			t.Logf("%s: %d faces annotated, detect took %v", img, len(gts), time.Since(start))
			if resp.Status != "success" || len(resp.Photos) != 1 {
				t.Fatalf("%s: status %q code %d %s", img, resp.Status, resp.ErrorCode, resp.ErrorMessage)
			}
			p := resp.Photos[0]
			used := make([]bool, len(p.Tags))
			gtTotal += len(gts)
			detected += len(p.Tags)
			for _, gt := range gts {
				for i, tg := range p.Tags {
					if !used[i] && iou(gt, tagBox(p, tg)) >= 0.4 {
						used[i] = true
						matched++
						break
					}
				}
			}
		}
		recall := float64(matched) / float64(gtTotal)
		precision := float64(matched) / float64(max(detected, 1))
		t.Logf("detection set: recall %.3f, precision %.3f (%d/%d faces, %d detections)", recall, precision, matched, gtTotal, detected)
		if recall < 0.6 || precision < 0.8 {
			t.Errorf("recall %.3f / precision %.3f below 0.6 / 0.8", recall, precision)
		}
	})

	t.Run("detect reports the LFW centre face with SkyBiometry fields", func(t *testing.T) {
		img := filepath.Join(faces, "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0001.jpg")
		resp := s.call("faces/detect", s.keyParams(), img)
		if resp.Status != "success" || len(resp.Photos) != 1 {
			t.Fatalf("status %q code %d", resp.Status, resp.ErrorCode)
		}
		p := resp.Photos[0]
		if p.Width != 250 || p.Height != 250 || p.PID == "" {
			t.Errorf("photo %dx%d pid %q, want 250x250 with a pid", p.Width, p.Height, p.PID)
		}
		var centre *fcTag
		for i, tg := range p.Tags {
			b := tagBox(p, tg)
			if b.x < 125 && b.x+b.w > 125 && b.y < 125 && b.y+b.h > 125 {
				centre = &p.Tags[i]
			}
		}
		if centre == nil {
			t.Fatalf("no face contains the image centre: %+v", p.Tags)
		}
		if !strings.HasPrefix(centre.TID, "TEMP_F@") {
			t.Errorf("tid %q is not a temporary SkyBiometry tid", centre.TID)
		}
		if centre.EyeLeft.X <= centre.EyeRight.X {
			t.Errorf("eye_left.x %.2f should be right of eye_right.x %.2f (subject's left)", centre.EyeLeft.X, centre.EyeRight.X)
		}
		if centre.EyeLeft.ID != 449 || centre.EyeRight.ID != 450 {
			t.Errorf("eye ids %d/%d, want 449/450", centre.EyeLeft.ID, centre.EyeRight.ID)
		}
		if resp.OperationID == "" || len(resp.Usage) == 0 {
			t.Errorf("missing operation_id or usage: %+v", resp.Raw)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=63072000") {
			t.Errorf("Strict-Transport-Security = %q", got)
		}
	})

	t.Run("python-style urlencoded body without content type", func(t *testing.T) {
		v := url.Values{"api_key": {s.creds.APIKey}, "api_secret": {s.creds.APISecret}}
		resp := s.form("account/authenticate.json", v, "")
		if resp.Status != "success" || resp.Raw["authenticated"] != true {
			t.Errorf("authenticate: %+v", resp.Raw)
		}
	})

	t.Run("wrong key is 201, wrong secret is 204", func(t *testing.T) {
		bad := s.call("account/authenticate", map[string]string{"api_key": "fg_live_doesnotexist", "api_secret": s.creds.APISecret})
		if bad.Status != "failure" || bad.ErrorCode != 201 || bad.HTTPStatus != http.StatusUnauthorized {
			t.Errorf("unknown key: HTTP %d code %d %q", bad.HTTPStatus, bad.ErrorCode, bad.ErrorMessage)
		}
		if bad.ErrorMessage != "API_KEY_DOES_NOT_EXIST - invalid api key" {
			t.Errorf("unknown key: error_message %q, want the name of 201 and the policy's detail", bad.ErrorMessage)
		}
		// The shipped Caddyfile's header directive covers the guard's refusals, once.
		if got := bad.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != "max-age=63072000" {
			t.Errorf("refusal: Strict-Transport-Security = %q", got)
		}
		wrong := s.call("account/authenticate", map[string]string{"api_key": s.creds.APIKey, "api_secret": "not-the-secret"})
		if wrong.Status != "failure" || wrong.ErrorCode != 204 || wrong.HTTPStatus != http.StatusUnauthorized {
			t.Errorf("wrong secret: HTTP %d code %d %q", wrong.HTTPStatus, wrong.ErrorCode, wrong.ErrorMessage)
		}
	})

	t.Run("plain HTTP redirects to HTTPS", func(t *testing.T) {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get("http://localhost:" + strconv.Itoa(s.httpPort) + "/fc/account/authenticate")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 308 || !strings.HasPrefix(loc, "https://") {
			t.Errorf("plain HTTP: %d Location %q, want a redirect to https", resp.StatusCode, loc)
		}
	})

	t.Run("npm skybiometry client detects", func(t *testing.T) {
		out := runNodeClient(t, s, "faces.detect", `[{"files": "`+filepath.Join(faces, "detection", "images", "2008_002079.jpg")+`"}]`)
		if !strings.Contains(out, `"status":"success"`) || !strings.Contains(out, `"tid":"TEMP_F@`) {
			t.Errorf("npm client detect: %.400s", out)
		}
	})

	t.Run("caddy reload keeps the store open and serving", func(t *testing.T) {
		cmd := exec.Command(binPath, "reload", "--config", filepath.Join(dataDir, "Caddyfile.default"),
			"--adapter", "caddyfile", "--address", s.adminAddr, "--force")
		cmd.Env = s.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("reload: %v\n%s", err, out)
		}
		resp := s.call("account/authenticate", s.keyParams())
		if resp.Status != "success" {
			t.Fatalf("after reload: %+v\nlogs:\n%s", resp.Raw, s.logs)
		}
	})

	t.Run("restart on the same data dir keeps the key", func(t *testing.T) {
		before, _ := os.ReadFile(filepath.Join(dataDir, "initial-credentials.json"))
		s.stop()
		s.start()
		after, _ := os.ReadFile(filepath.Join(dataDir, "initial-credentials.json"))
		if string(before) != string(after) {
			t.Error("credentials file was rewritten on restart")
		}
		resp := s.call("account/authenticate", s.keyParams())
		if resp.Status != "success" {
			t.Fatalf("after restart: %+v", resp.Raw)
		}
	})
}

// TestWrongEncryptionKey checks that a store opened with another key is a
// clear start-up error and that the data is left alone.
func TestWrongEncryptionKey(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	s.stop()
	keyFile := filepath.Join(dataDir, "encryption.key")
	orig, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(s.env(), "FACEGATE_ENCRYPTION_KEY="+strings.Repeat("ab", 32))
	out, err := runWithTimeout(cmd, 60*time.Second)
	if err == nil {
		t.Fatalf("facegate started with a wrong encryption key:\n%s", out)
	}
	if !strings.Contains(strings.ToLower(out), "different key") && !strings.Contains(strings.ToLower(out), "encryption key") {
		t.Errorf("start-up error does not explain the key problem:\n%s", out)
	}
	if now, _ := os.ReadFile(keyFile); string(now) != string(orig) {
		t.Error("the key file was changed")
	}
	// Without any key the existing store must not be replaced either.
	if err := os.Rename(keyFile, keyFile+".bak"); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(binPath, "serve")
	cmd.Env = s.env()
	out, err = runWithTimeout(cmd, 60*time.Second)
	if err == nil || !strings.Contains(out, "refusing to create a new store") {
		t.Fatalf("missing key on an existing store: err %v\n%s", err, out)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("a new key file was generated over an existing store")
	}
}

// runWithTimeout runs cmd and returns its combined output; a process still
// running at the deadline is killed and reported as started (nil error).
func runWithTimeout(cmd *exec.Cmd, d time.Duration) (string, error) {
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return buf.String(), err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return buf.String(), nil
	}
}

// runNodeClient runs tests/e2e/node/client.js with the server's credentials.
func runNodeClient(t *testing.T, s *server, call, args string) string {
	t.Helper()
	nodeDir := filepath.Join(repoRoot, "tests", "e2e", "node")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "skybiometry")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tests/e2e/node/node_modules is missing: run `npm ci` there (tests/run.sh does)")
		}
		t.Skip("npm dependencies not installed (cd tests/e2e/node && npm ci)")
	}
	cmd := exec.Command("node", "client.js", call, args)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"FACEGATE_URL=https://localhost:"+strconv.Itoa(s.httpsPort),
		"FACEGATE_API_KEY="+s.creds.APIKey,
		"FACEGATE_API_SECRET="+s.creds.APISecret,
		"NODE_EXTRA_CA_CERTS="+s.rootCA(),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client %s: %v\n%s", call, err, out)
	}
	return string(out)
}
