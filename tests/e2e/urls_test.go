package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// urlsHits counts the requests an image server answered, per path.
type urlsHits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *urlsHits) add(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[path]++
}

func (h *urlsHits) get(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[path]
}

func (h *urlsHits) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := 0
	for _, v := range h.n {
		t += v
	}
	return t
}

// urlsImageServer serves a real LFW photo and the awkward answers the fetcher
// must refuse, on 127.0.0.1, counting every request.
func urlsImageServer(t *testing.T, photo []byte, redirectTo string) (*httptest.Server, *urlsHits) {
	t.Helper()
	hits := &urlsHits{n: map[string]int{}}
	huge := make([]byte, 3<<20) // larger than the 1 MiB max_image_bytes below
	mux := http.NewServeMux()
	mux.HandleFunc("/face.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(photo)
	})
	mux.HandleFunc("/huge.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(huge)))
		_, _ = w.Write(huge)
	})
	mux.HandleFunc("/huge-chunked.jpg", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the size cap must hold while reading.
		w.Header().Set("Content-Type", "image/jpeg")
		for off := 0; off < len(huge); off += 64 << 10 {
			if _, err := w.Write(huge[off : off+64<<10]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html><body>not an image</body></html>"))
	})
	mux.HandleFunc("/jpeg-as-html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(photo)
	})
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/face.jpg", http.StatusFound)
	})
	mux.HandleFunc("/to-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectTo, http.StatusFound)
	})
	mux.HandleFunc("/to-self", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/face.jpg", http.StatusMovedPermanently)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.URL.Path)
		mux.ServeHTTP(w, r) // unknown paths are 404
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// urlsCall runs faces/detect on urls, waiting out the free tier's rate limit.
func urlsCall(t *testing.T, s *server, urls ...string) *fcResponse {
	t.Helper()
	params := s.keyParams()
	params["urls"] = strings.Join(urls, ",")
	for attempt := 0; ; attempt++ {
		resp := s.call("faces/detect", params)
		if resp.HTTPStatus == http.StatusTooManyRequests && strings.Contains(resp.ErrorMessage, "rate limit") && attempt < 5 {
			time.Sleep(time.Second) // the free tier refills 5 calls per second
			continue
		}
		return resp
	}
}

// TestURLFetching checks server-side `urls` fetching: an allowlisted host is
// fetched and analysed; loopback, private and metadata addresses (directly,
// by name or through a redirect) are refused with 36 before any byte is
// fetched; and 404, oversize, non-image and malformed urls get their
// SkyBiometry download codes, per photo when another url of the call works.
func TestURLFetching(t *testing.T) {
	faces := facesDir(t)
	photo, err := os.ReadFile(filepath.Join(faces, "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// other is a loopback server that is NOT allowlisted: it must never be hit.
	other, otherHits := urlsImageServer(t, photo, "")
	allowed, hits := urlsImageServer(t, photo, other.URL+"/face.jpg")
	host := strings.TrimPrefix(allowed.URL, "http://")
	port := host[strings.LastIndexByte(host, ':')+1:]
	cfg := flowCaddyfile(t, "url_allow_hosts "+host, "limits {", "\tmax_image_bytes 1MiB", "}")
	s := flowStartConfig(t, t.TempDir(), cfg)

	t.Run("allowlisted url is fetched and analysed", func(t *testing.T) {
		u := allowed.URL + "/face.jpg"
		resp := urlsCall(t, s, u)
		if resp.Status != "success" || len(resp.Photos) != 1 {
			t.Fatalf("status %q code %d %s", resp.Status, resp.ErrorCode, resp.ErrorMessage)
		}
		p := resp.Photos[0]
		if p.Width != 250 || p.Height != 250 || len(p.Tags) == 0 {
			t.Errorf("photo %dx%d with %d faces, want 250x250 with a face", p.Width, p.Height, len(p.Tags))
		}
		if got := flowStr(flowObj(flowArr(resp.Raw["photos"])[0])["url"]); got != u {
			t.Errorf("photo url %q, want the requested %q", got, u)
		}
		if hits.get("/face.jpg") != 1 {
			t.Errorf("image server hit %d times, want 1", hits.get("/face.jpg"))
		}
	})

	t.Run("redirect within the allowlisted host is followed", func(t *testing.T) {
		before := hits.get("/face.jpg")
		resp := urlsCall(t, s, allowed.URL+"/to-self")
		if resp.Status != "success" || len(resp.Photos) != 1 || len(resp.Photos[0].Tags) == 0 {
			t.Errorf("status %q code %d %s", resp.Status, resp.ErrorCode, resp.ErrorMessage)
		}
		if hits.get("/face.jpg") != before+1 {
			t.Error("the redirect target was not fetched")
		}
	})

	blocked := []struct{ name, url, hitPath string }{
		{"loopback on another port", other.URL + "/face.jpg", ""},
		{"loopback by name", "http://localhost:" + port + "/face.jpg", ""},
		{"IPv6 loopback", "http://[::1]:" + port + "/face.jpg", ""},
		{"IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]:" + port + "/face.jpg", ""},
		{"metadata address", "http://169.254.169.254/latest/meta-data/", ""},
		{"private address", "http://10.0.0.1/face.jpg", ""},
		{"redirect to the metadata address", allowed.URL + "/to-metadata", "/to-metadata"},
		{"redirect to a private address", allowed.URL + "/to-private", "/to-private"},
		{"redirect to a loopback server not allowlisted", allowed.URL + "/to-other", "/to-other"},
	}
	for _, tc := range blocked {
		t.Run("blocked: "+tc.name, func(t *testing.T) {
			facesBefore, otherBefore := hits.get("/face.jpg"), otherHits.total()
			start := time.Now()
			resp := urlsCall(t, s, tc.url)
			if resp.Status != "failure" || resp.ErrorCode != 36 ||
				!strings.HasPrefix(resp.ErrorMessage, "DOWNLOAD_ERROR_CONNECTION_REFUSED") || resp.HTTPStatus != http.StatusBadRequest {
				t.Errorf("%s: HTTP %d status %q code %d %q, want 400 failure 36", tc.url, resp.HTTPStatus, resp.Status, resp.ErrorCode, resp.ErrorMessage)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refusal took %v: the address was tried instead of refused", d)
			}
			if hits.get("/face.jpg") != facesBefore || otherHits.total() != otherBefore {
				t.Errorf("a blocked url reached an image server (allowed /face.jpg %d→%d, other %d→%d)",
					facesBefore, hits.get("/face.jpg"), otherBefore, otherHits.total())
			}
			if tc.hitPath != "" && hits.get(tc.hitPath) != 1 {
				t.Errorf("%s hit %d times, want 1 (the allowed first hop)", tc.hitPath, hits.get(tc.hitPath))
			}
			for _, secret := range []string{"169.254", "10.0.0.1", "127.0.0.1", "::1"} {
				if strings.Contains(resp.ErrorMessage, secret) {
					t.Errorf("error message reveals the address: %q", resp.ErrorMessage)
				}
			}
		})
	}

	failing := []struct {
		name, url string
		code      int
		http      int
	}{
		{"404", allowed.URL + "/missing.jpg", 31, http.StatusBadRequest},
		{"too large (Content-Length)", allowed.URL + "/huge.jpg", 33, http.StatusRequestEntityTooLarge},
		{"too large (streamed)", allowed.URL + "/huge-chunked.jpg", 33, http.StatusRequestEntityTooLarge},
		{"text/html page", allowed.URL + "/page.html", 30, http.StatusBadRequest},
		{"jpeg bytes sent as text/html", allowed.URL + "/jpeg-as-html", 30, http.StatusBadRequest},
		{"no host", "http:///face.jpg", 34, http.StatusBadRequest},
		{"unclosed IPv6 bracket", "http://[::1/face.jpg", 34, http.StatusBadRequest},
		{"bad percent escape in the host", "http://im%zzages/face.jpg", 34, http.StatusBadRequest},
		{"credentials in the url", "http://user:pw@" + host + "/face.jpg", 34, http.StatusBadRequest},
		// Not http(s) at all: the guard's JSON Schema (docs/security.md §4) refuses
		// the whole call with 406 before anything is fetched.
		{"ftp scheme", "ftp://" + host + "/face.jpg", 406, http.StatusBadRequest},
		{"not a url", "not-a-url", 406, http.StatusBadRequest},
	}
	for _, tc := range failing {
		t.Run("error: "+tc.name, func(t *testing.T) {
			before := hits.get("/face.jpg")
			resp := urlsCall(t, s, tc.url)
			if resp.Status != "failure" || resp.ErrorCode != tc.code || resp.HTTPStatus != tc.http {
				t.Errorf("%s: HTTP %d status %q code %d %q, want HTTP %d code %d", tc.url, resp.HTTPStatus, resp.Status, resp.ErrorCode, resp.ErrorMessage, tc.http, tc.code)
			}
			if tc.code < 100 && !strings.HasPrefix(resp.ErrorMessage, "DOWNLOAD_ERROR") {
				t.Errorf("error_message %q, want a DOWNLOAD_ERROR name", resp.ErrorMessage)
			}
			if (tc.code == 34 || tc.code == 406) && hits.get("/face.jpg") != before {
				t.Error("a malformed url was fetched")
			}
		})
	}

	t.Run("one of two urls failing is a partial answer", func(t *testing.T) {
		good, bad := allowed.URL+"/face.jpg", allowed.URL+"/missing.jpg"
		resp := urlsCall(t, s, good, bad)
		if resp.Status != "partial" || resp.HTTPStatus != http.StatusOK || len(resp.Photos) != 2 {
			t.Fatalf("HTTP %d status %q with %d photos, want 200 partial with 2: %v", resp.HTTPStatus, resp.Status, len(resp.Photos), resp.Raw)
		}
		ok, failed := flowObj(flowArr(resp.Raw["photos"])[0]), flowObj(flowArr(resp.Raw["photos"])[1])
		if ok["url"] != good || len(flowArr(ok["tags"])) == 0 || ok["error_code"] != nil {
			t.Errorf("first photo %v, want the face of %s and no error", ok, good)
		}
		tags, isArr := failed["tags"].([]any)
		if failed["url"] != bad || failed["error_code"] != float64(31) || !isArr || len(tags) != 0 ||
			!strings.HasPrefix(flowStr(failed["error_message"]), "DOWNLOAD_ERROR_FILE_NOT_FOUND") {
			t.Errorf("second photo %v, want url %s, error_code 31, tags []", failed, bad)
		}
		if _, top := resp.Raw["error_code"]; top {
			t.Errorf("a partial answer carries a top-level error_code: %v", resp.Raw["error_code"])
		}
	})

	if n := otherHits.total(); n != 0 {
		t.Errorf("the non-allowlisted loopback server was hit %d times", n)
	}
}
