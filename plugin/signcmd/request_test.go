package signcmd

import (
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildRequest(t *testing.T) {
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(photo, []byte("\xff\xd8\xff\xe0 not really a jpeg"), 0o600); err != nil {
		t.Fatal(err)
	}
	dataFile := filepath.Join(dir, "data.txt")
	if err := os.WriteFile(dataFile, []byte("uids=a%40ns\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const u = "https://faces.example.com/fc/faces/detect.json?x=1"
	tests := []struct {
		name       string
		o          Options
		wantMethod string
		wantCType  string
		wantBody   string // for non-multipart
		wantErr    string
	}{
		{name: "get", o: Options{URL: u}, wantMethod: "GET"},
		{name: "explicit method", o: Options{URL: u, Method: "delete"}, wantMethod: "DELETE"},
		{name: "urlencoded", o: Options{URL: u, Data: []string{"a=b&c=d", "e=f"}}, wantMethod: "POST",
			wantCType: "application/x-www-form-urlencoded", wantBody: "a=b&c=d&e=f"},
		{name: "urlencoded from file", o: Options{URL: u, Data: []string{"@" + dataFile}}, wantMethod: "POST",
			wantCType: "application/x-www-form-urlencoded", wantBody: "uids=a%40ns"},
		{name: "multipart", o: Options{URL: u, Form: []string{"attributes=all", "files=@" + photo}}, wantMethod: "POST",
			wantCType: "multipart/form-data"},
		{name: "put multipart", o: Options{URL: u, Method: "PUT", Form: []string{"a=b"}}, wantMethod: "PUT", wantCType: "multipart/form-data"},
		{name: "both -F and -d", o: Options{URL: u, Form: []string{"a=b"}, Data: []string{"c=d"}}, wantErr: "not both"},
		{name: "bad -F", o: Options{URL: u, Form: []string{"novalue"}}, wantErr: "field=value"},
		{name: "missing file", o: Options{URL: u, Form: []string{"files=@" + filepath.Join(dir, "nope.jpg")}}, wantErr: "opening"},
		{name: "relative URL", o: Options{URL: "/fc/faces/detect.json"}, wantErr: "absolute"},
		{name: "ftp URL", o: Options{URL: "ftp://x/y"}, wantErr: "absolute"},
		{name: "bad header", o: Options{URL: u, Headers: []string{"NoColon"}}, wantErr: "Name: value"},
		{name: "header", o: Options{URL: u, Headers: []string{"X-Trace: abc"}}, wantMethod: "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, body, err := BuildRequest(tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != tt.wantMethod {
				t.Fatalf("method %s, want %s", req.Method, tt.wantMethod)
			}
			ct := req.Header.Get("Content-Type")
			if !strings.HasPrefix(ct, tt.wantCType) || (tt.wantCType == "") != (ct == "") {
				t.Fatalf("content-type %q, want %q", ct, tt.wantCType)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Fatalf("body %q, want %q", body, tt.wantBody)
			}
			if req.ContentLength != int64(len(body)) {
				t.Fatalf("content-length %d for %d bytes", req.ContentLength, len(body))
			}
			if len(tt.o.Headers) > 0 && req.Header.Get("X-Trace") != "abc" {
				t.Fatal("extra header missing")
			}
		})
	}
}

func TestBuildRequestMultipartParts(t *testing.T) {
	dir := t.TempDir()
	photo := filepath.Join(dir, "me.png")
	content := "\x89PNG\r\n\x1a\n fake"
	if err := os.WriteFile(photo, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	req, body, err := BuildRequest(Options{URL: "https://h/fc/faces/detect.json", Form: []string{"attributes=all", "files=@" + photo}})
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
	got := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got[p.FormName()] = string(b)
		if p.FormName() == "files" && (p.FileName() != "me.png" || p.Header.Get("Content-Type") != "image/png") {
			t.Fatalf("file part: name %q type %q", p.FileName(), p.Header.Get("Content-Type"))
		}
	}
	if got["attributes"] != "all" || got["files"] != content {
		t.Fatalf("parts %q", got)
	}
}
