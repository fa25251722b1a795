package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBodyNeedsCredentialsFirst: a body over 64 KiB is read only when the
// caller's credentials check out before it (query, signature headers) or in
// its first multipart fields; otherwise it is refused without being
// buffered, with a clear error, and the address is not charged a failure.
func TestBodyNeedsCredentialsFirst(t *testing.T) {
	photo, err := readFileT(filepath.Join(facesDir(t), "detection", "images", "2008_002079.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir())
	key, secret := s.creds.APIKey, s.creds.APISecret
	c := secClient(t, s)
	// multipartBody writes fields in order; "files" entries are the photo.
	multipartBody := func(fields ...string) (*bytes.Buffer, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "files" {
				part, _ := mw.CreateFormFile("files", fields[i+1])
				part.Write(photo)
				continue
			}
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return &b, mw.FormDataContentType()
	}
	post := func(path string, body *bytes.Buffer, ctype string) *secResp {
		req, _ := http.NewRequest(http.MethodPost, s.url(path), body)
		req.Header.Set("Content-Type", ctype)
		return secDo(t, c, req)
	}
	if len(photo) <= 64<<10 {
		t.Fatalf("the test photo (%d bytes) must be over the 64 KiB allowance", len(photo))
	}

	t.Run("credentials as the first fields", func(t *testing.T) {
		b, ct := multipartBody("api_key", key, "api_secret", secret, "files", "a.jpg", "files", "b.jpg")
		if r := post("/fc/faces/detect.json", b, ct); !r.ok() {
			t.Fatalf("%s", r)
		}
	})
	t.Run("credentials in the query", func(t *testing.T) {
		b, ct := multipartBody("files", "a.jpg")
		if r := post("/fc/faces/detect.json?api_key="+key+"&api_secret="+secret, b, ct); !r.ok() {
			t.Fatalf("%s", r)
		}
	})
	t.Run("signed upload", func(t *testing.T) {
		b, ct := multipartBody("files", "a.jpg", "files", "b.jpg")
		body := b.Bytes()
		req, _ := http.NewRequest(http.MethodPost, s.url("/fc/faces/detect.json"), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		secSign(t, req, body, key, secret, time.Now())
		if r := secDo(t, c, req); !r.ok() {
			t.Fatalf("%s", r)
		}
	})
	refused := func(t *testing.T, r *secResp) {
		t.Helper()
		if r.Status != http.StatusUnauthorized || r.code() != 204 || !strings.Contains(r.str("error_message"), "credentials first") {
			t.Fatalf("%s, want 401 error 204 asking for credentials first", r)
		}
	}
	t.Run("credentials after the files", func(t *testing.T) {
		b, ct := multipartBody("files", "a.jpg", "api_key", key, "api_secret", secret)
		refused(t, post("/fc/faces/detect.json", b, ct))
	})
	t.Run("wrong secret before the files", func(t *testing.T) {
		b, ct := multipartBody("api_key", key, "api_secret", "wrong", "files", "a.jpg")
		refused(t, post("/fc/faces/detect.json", b, ct))
	})
	t.Run("forged signature", func(t *testing.T) {
		b, ct := multipartBody("files", "a.jpg")
		body := b.Bytes()
		req, _ := http.NewRequest(http.MethodPost, s.url("/fc/faces/detect.json"), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		secSign(t, req, body, key, "not-the-secret", time.Now())
		refused(t, secDo(t, c, req))
	})
	t.Run("no credentials, 16 MiB", func(t *testing.T) {
		body := bytes.Repeat([]byte{0xff}, 16<<20)
		req, _ := http.NewRequest(http.MethodPost, s.url("/fc/faces/detect.json"), bytes.NewReader(body))
		req.Header.Set("Content-Type", "image/jpeg")
		refused(t, secDo(t, c, req))
	})
	t.Run("refusals count as failed authentications", func(t *testing.T) {
		// Otherwise large bodies would test secrets without being counted.
		guesser := secClient(t, s)
		var last *secResp
		for i := 0; i < 12 && (last == nil || last.Status != http.StatusTooManyRequests); i++ {
			b, ct := multipartBody("api_key", key, "api_secret", "guess"+strconv.Itoa(i), "files", "a.jpg")
			req, _ := http.NewRequest(http.MethodPost, s.url("/fc/faces/detect.json"), b)
			req.Header.Set("Content-Type", ct)
			last = secDo(t, guesser, req)
		}
		if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("12 refused large bodies with wrong secrets from one address: last %s, want 429 with Retry-After", last)
		}
	})
	t.Run("small calls need nothing first", func(t *testing.T) {
		r := secCall(t, c, s, "account/authenticate", key, secret, nil)
		if !r.ok() {
			t.Fatalf("%s", r)
		}
	})
}
