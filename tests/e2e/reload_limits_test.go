package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReloadAppliesLimits: every input limit and url_allow_hosts of a
// reloaded config applies to the calls after the reload (the store, index
// and face service outlive the reload), and an option that cannot change
// while the store is open (key_file) makes the reload fail, naming it,
// while the running config keeps serving.
func TestReloadAppliesLimits(t *testing.T) {
	faces := facesDir(t)
	photo, err := readFileT(filepath.Join(faces, "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	t.Cleanup(up.Close)
	photoURL := up.URL + "/p.jpg"

	dataDir := t.TempDir()
	path := filepath.Join(dataDir, "Caddyfile.sec")
	write := func(extra string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(secCaddyfile(extra)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	first := "\t\tlimits {\n\t\t\tmax_images 1\n\t\t}"
	write(first)
	s := &server{t: t, dataDir: dataDir, httpsPort: freePort(t), httpPort: freePort(t), adminAddr: fmt.Sprintf("localhost:%d", freePort(t))}
	secRun(t, s, path)
	t.Cleanup(s.stop)
	reload := func() (string, error) {
		cmd := exec.Command(binPath, "reload", "--config", path, "--adapter", "caddyfile", "--address", s.adminAddr, "--force")
		cmd.Env = s.env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	c := secClient(t, s)
	detect := func(params map[string]string, images ...[]byte) *secResp {
		p := map[string]string{"api_key": s.creds.APIKey, "api_secret": s.creds.APISecret}
		for k, v := range params {
			p[k] = v
		}
		return secDo(t, c, secMultipart(s, "faces/detect", p, images...))
	}
	code := func(r *secResp) int {
		if r.ok() {
			if photos, _ := r.JSON["photos"].([]any); len(photos) > 0 {
				if ph, _ := photos[0].(map[string]any); ph != nil {
					if c, ok := ph["error_code"].(float64); ok {
						return int(c)
					}
				}
			}
			return 0
		}
		return r.code()
	}

	// Before: max_images 1, no url host allowed, default image limits.
	if r := detect(nil, photo, photo); code(r) == 0 {
		t.Fatalf("two images with max_images 1: %s", r)
	}
	if r := detect(map[string]string{"urls": photoURL}); code(r) == 0 {
		t.Fatalf("a url on a host not allowed: %s", r)
	}
	if r := detect(nil, photo); code(r) != 0 {
		t.Fatalf("one image: %s", r)
	}

	// Reload: more images, the upstream allowed.
	write(fmt.Sprintf("\t\turl_allow_hosts %s\n\t\tlimits {\n\t\t\tmax_images 3\n\t\t}", up.Listener.Addr()))
	if out, err := reload(); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	t.Run("max_images", func(t *testing.T) {
		if r := detect(nil, photo, photo, photo); code(r) != 0 {
			t.Errorf("three images after max_images 3: %s", r)
		}
	})
	t.Run("url_allow_hosts", func(t *testing.T) {
		if r := detect(map[string]string{"urls": photoURL}); code(r) != 0 {
			t.Errorf("a url on the newly allowed host: error %d %s", code(r), r)
		}
	})
	// Reload: tighter decoding limits.
	write("\t\tlimits {\n\t\t\tmax_pixels 40000\n\t\t\tmax_image_bytes 100KiB\n\t\t}")
	if out, err := reload(); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	t.Run("max_pixels", func(t *testing.T) { // the photo is 250×250 = 62,500 pixels
		if r := detect(nil, photo); code(r) == 0 || !strings.Contains(string(r.Body), "pixels") {
			t.Errorf("a 62,500-pixel image with max_pixels 40000: %s", r)
		}
	})
	t.Run("max_image_bytes", func(t *testing.T) {
		big := append(append([]byte{}, photo...), make([]byte, 120<<10)...) // a JPEG with trailing bytes over 100 KiB
		if r := detect(nil, big); code(r) == 0 {
			t.Errorf("a 130 KiB image with max_image_bytes 100KiB: %s", r)
		}
	})
	t.Run("key_file cannot change", func(t *testing.T) {
		write(fmt.Sprintf("\t\tkey_file %s\n\t\tlimits {\n\t\t\tmax_images 1\n\t\t}", filepath.Join(t.TempDir(), "other.key")))
		out, err := reload()
		if err == nil || !strings.Contains(out, "key_file") {
			t.Fatalf("reload with another key_file: err %v\n%s", err, out)
		}
		// The previous config keeps serving, with its limits.
		if r := detect(nil, photo); code(r) == 0 {
			t.Errorf("max_pixels 40000 no longer applies after the refused reload: %s", r)
		}
		if r := secCall(t, c, s, "account/authenticate", s.creds.APIKey, s.creds.APISecret, nil); !r.ok() {
			t.Errorf("server after the refused reload: %s", r)
		}
	})
}
