package signcmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Options are the parsed command-line options of `facegate sign`.
type Options struct {
	URL        string
	Method     string   // -X; default GET, or POST with -F / -d
	Form       []string // -F field=value or field=@file (multipart)
	Data       []string // -d a=b&c=d or @file (urlencoded), joined with '&'
	Headers    []string // -H 'Name: value'
	KeyID      string   // --key
	SecretFile string   // --secret-file
	Secret     string   // --secret (discouraged)
	CACert     string   // --cacert; default: the data dir's internal CA, if any
	Insecure   bool     // --insecure
}

// maxFileBytes bounds a file attached with -F or -d @file.
const maxFileBytes = 64 << 20

// BuildRequest builds the unsigned request and its body from o.
func BuildRequest(o Options) (*http.Request, []byte, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, nil, fmt.Errorf("URL must be an absolute http(s) URL, got %q", o.URL)
	}
	if len(o.Form) > 0 && len(o.Data) > 0 {
		return nil, nil, errors.New("use either -F (multipart) or -d (urlencoded), not both")
	}
	var body []byte
	var ctype string
	switch {
	case len(o.Form) > 0:
		body, ctype, err = multipartBody(o.Form)
	case len(o.Data) > 0:
		body, err = urlencodedBody(o.Data)
		ctype = "application/x-www-form-urlencoded"
	}
	if err != nil {
		return nil, nil, err
	}
	method := strings.ToUpper(o.Method)
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("building request: %w", err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return nil, nil, fmt.Errorf("header %q must be 'Name: value'", h)
		}
		req.Header.Add(name, strings.TrimSpace(value))
	}
	return req, body, nil
}

// multipartBody encodes -F fields; field=@path attaches a file.
func multipartBody(fields []string) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, "", fmt.Errorf("-F %q must be field=value or field=@file", f)
		}
		if !strings.HasPrefix(value, "@") {
			if err := mw.WriteField(name, value); err != nil {
				return nil, "", fmt.Errorf("writing field %s: %w", name, err)
			}
			continue
		}
		path := value[1:]
		data, err := readFile(path)
		if err != nil {
			return nil, "", err
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data",
			map[string]string{"name": name, "filename": filepath.Base(path)}))
		ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(path)))
		if ct == "" {
			ct = http.DetectContentType(data)
		}
		h.Set("Content-Type", ct)
		part, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("writing file part %s: %w", name, err)
		}
		part.Write(data)
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("closing multipart body: %w", err)
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// urlencodedBody joins -d values with '&' like curl; @path reads a file.
func urlencodedBody(data []string) ([]byte, error) {
	parts := make([]string, 0, len(data))
	for _, d := range data {
		if strings.HasPrefix(d, "@") {
			b, err := readFile(d[1:])
			if err != nil {
				return nil, err
			}
			d = strings.TrimRight(string(b), "\r\n")
		}
		parts = append(parts, d)
	}
	return []byte(strings.Join(parts, "&")), nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxFileBytes>>20)
	}
	return b, nil
}
