package plugin

import (
	"bytes"
	"image"
	"image/png"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/service"
)

func testLimits() InputLimits {
	var l InputLimits
	l.setDefaults()
	return l
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path, route, format string
		ok                  bool
	}{
		{"/fc/faces/detect", "faces/detect", "json", true},
		{"/fc/faces/detect.json", "faces/detect", "json", true},
		{"/fc/tags/save.XML", "tags/save", "xml", true},
		{"/api/v1/fc/account/limits", "account/limits", "json", true},
		{"/fc/faces", "faces", "json", false},
		{"/fc/faces/detect/extra", "faces/detect/extra", "json", false},
		{"/other", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			route, format, ok := parseRoute(tt.path)
			if route != tt.route || format != tt.format || ok != tt.ok {
				t.Errorf("parseRoute(%q) = %q, %q, %v; want %q, %q, %v", tt.path, route, format, ok, tt.route, tt.format, tt.ok)
			}
		})
	}
}

// multipartBody writes fields and files (name → data, with or without filename).
func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte, withFilename bool) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		var w interface{ Write([]byte) (int, error) }
		var err error
		if withFilename {
			w, err = mw.CreateFormFile(name, name+".png")
		} else {
			w, err = mw.CreateFormField(name)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestParseParams(t *testing.T) {
	img := pngBytes(t)
	lim := testLimits()
	t.Run("urlencoded without content type (python client)", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect.json?detector=aggressive", nil)
		body := []byte("api_key=k&api_secret=s&urls=http%3A%2F%2Fa%2Fb.jpg")
		params, files, err := parseParams(r, body, lim)
		if err != nil {
			t.Fatal(err)
		}
		if params["api_key"] != "k" || params["urls"] != "http://a/b.jpg" || params["detector"] != "aggressive" || len(files) != 0 {
			t.Errorf("params %v files %d", params, len(files))
		}
	})
	t.Run("body wins over query", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect?limit=1", nil)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		params, _, err := parseParams(r, []byte("limit=2"), lim)
		if err != nil || params["limit"] != "2" {
			t.Errorf("limit = %q, err %v", params["limit"], err)
		}
	})
	t.Run("multipart image without filename (npm Buffer)", func(t *testing.T) {
		ct, body := multipartBody(t, map[string]string{"api_key": "k"}, map[string][]byte{"files": img}, false)
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", ct)
		params, files, err := parseParams(r, body, lim)
		if err != nil {
			t.Fatal(err)
		}
		if params["api_key"] != "k" || len(files) != 1 || files[0].Name != "files" || !bytes.Equal(files[0].Data, img) {
			t.Errorf("params %v, %d files", params, len(files))
		}
		if _, leaked := params["files"]; leaked {
			t.Error("image bytes were taken as a parameter")
		}
	})
	t.Run("text that starts like an image magic number stays a parameter", func(t *testing.T) {
		// A secret is random URL-safe text: it can start with "BM" (BMP) or "GIF8".
		fields := map[string]string{"api_key": "k", "api_secret": "BMx7Qa-9_secret", "label": "GIF89a party"}
		ct, body := multipartBody(t, fields, map[string][]byte{"files": img}, false)
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", ct)
		params, files, err := parseParams(r, body, lim)
		if err != nil {
			t.Fatal(err)
		}
		if params["api_secret"] != "BMx7Qa-9_secret" || params["label"] != "GIF89a party" || len(files) != 1 {
			t.Errorf("params %v, %d files", params, len(files))
		}
		r = httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		params, files, err = parseParams(r, []byte("BM=1&api_key=k"), lim)
		if err != nil || params["api_key"] != "k" || len(files) != 0 {
			t.Errorf("urlencoded body starting with BM: params %v, %d files, err %v", params, len(files), err)
		}
	})
	t.Run("multipart file under any field name", func(t *testing.T) {
		ct, body := multipartBody(t, nil, map[string][]byte{"img.jpg": img, "_file": img}, true)
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", ct)
		_, files, err := parseParams(r, body, lim)
		if err != nil || len(files) != 2 {
			t.Errorf("%d files, err %v", len(files), err)
		}
	})
	t.Run("too many parts", func(t *testing.T) {
		fields := map[string]string{}
		for i := 0; i < lim.MaxParts+1; i++ {
			fields[strings.Repeat("p", i+1)] = "v"
		}
		ct, body := multipartBody(t, fields, nil, false)
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", ct)
		_, _, err := parseParams(r, body, lim)
		if err == nil || err.HTTPStatus != http.StatusRequestEntityTooLarge {
			t.Errorf("err = %v, want 413", err)
		}
	})
	t.Run("raw image body", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", "image/png")
		_, files, err := parseParams(r, img, lim)
		if err != nil || len(files) != 1 {
			t.Errorf("%d files, err %v", len(files), err)
		}
	})
	t.Run("unsupported content type", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", "application/json")
		_, _, err := parseParams(r, []byte(`{"a":1}`), lim)
		if err == nil || err.Code != 406 {
			t.Errorf("err = %v, want 406", err)
		}
	})
	t.Run("malformed multipart", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
		_, _, err := parseParams(r, []byte("--xyz\r\nbroken"), lim)
		if err == nil || err.Code != 406 {
			t.Errorf("err = %v, want 406", err)
		}
	})
}

func TestReadBodyLimit(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", strings.NewReader(strings.Repeat("a", 101)))
	r.ContentLength = -1
	if _, err := readBody(r, 100); err == nil || err.HTTPStatus != http.StatusRequestEntityTooLarge {
		t.Errorf("readBody over the limit: %v", err)
	}
	r = httptest.NewRequest(http.MethodPost, "/fc/faces/detect", strings.NewReader("abc"))
	body, err := readBody(r, 100)
	if err != nil || string(body) != "abc" {
		t.Fatalf("readBody = %q, %v", body, err)
	}
	again := new(bytes.Buffer)
	_, _ = again.ReadFrom(r.Body)
	if again.String() != "abc" {
		t.Errorf("body not restored for the next handler: %q", again.String())
	}
}

func TestImagesCount(t *testing.T) {
	q := &fcRequest{Params: map[string]string{"urls": "http://a/1.jpg, ,http://a/2.jpg"}, Files: make([]service.File, 1)}
	if n := q.images(); n != 3 {
		t.Errorf("images() = %d, want 3", n)
	}
}

// FuzzParseParams feeds arbitrary bodies and content types to the parser:
// it must never panic, and every file it returns must respect the limits.
func FuzzParseParams(f *testing.F) {
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nk\r\n--b--\r\n"))
	f.Add("", []byte("api_key=k&api_secret=s"))
	f.Add("application/x-www-form-urlencoded", []byte("a=%zz"))
	f.Add("image/png", []byte("\x89PNG\r\n\x1a\n"))
	lim := testLimits()
	lim.MaxImageBytes = 1 << 16
	lim.MaxParamBytes = 1 << 12
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/fc/faces/detect", nil)
		r.Header.Set("Content-Type", ctype)
		params, files, err := parseParams(r, body, lim)
		if err != nil {
			return
		}
		for _, fl := range files {
			if int64(len(fl.Data)) > lim.MaxImageBytes {
				t.Fatalf("file of %d bytes over the limit", len(fl.Data))
			}
		}
		_ = params
	})
}

// parseForm must accept, refuse and decode exactly like url.ParseQuery
// followed by mergeValues (first value of each name).
func TestParseFormMatchesParseQuery(t *testing.T) {
	cases := []string{"", "a=1", "a=1&a=2", "a=1&&b=2&", "a", "=x", "a=%zz", "%zz=1", "a=1;b=2", "a=%41+b&c=%2B",
		"uids=mark%40docs%2Canna%40docs&namespace=docs", strings.Repeat("k=v&", 1200), strings.Repeat("&", 1001)}
	rng := rand.New(rand.NewPCG(11, 12))
	alphabet := "ab=&;%2B+x41z"
	for range 20000 {
		b := make([]byte, rng.IntN(14))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want := map[string]string{"pre": "set"}
		v, werr := url.ParseQuery(s)
		mergeValues(want, v)
		got := map[string]string{"pre": "set"}
		gerr := parseForm(got, s)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%q: parseForm error %v, url.ParseQuery error %v", s, gerr, werr)
		}
		if gerr == nil && !maps.Equal(got, want) {
			t.Fatalf("%q: parseForm %v, url.ParseQuery %v", s, got, want)
		}
	}
}
