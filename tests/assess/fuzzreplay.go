package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// corpusEntry is one committed input of a Go fuzz target.
type corpusEntry struct {
	target, file string   // FuzzDecode, 0a1b2c...
	values       [][]byte // the arguments, decoded
}

// loadCorpora reads testdata/fuzz/<target>/<entry> under engine/, plugin/
// and policies/ of the repository, at most max entries per target (in
// name order).
func loadCorpora(repo string, max int) ([]corpusEntry, error) {
	per := map[string][]corpusEntry{}
	for _, root := range []string{"engine", "plugin", "policies"} {
		err := filepath.WalkDir(filepath.Join(repo, root), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Base(filepath.Dir(filepath.Dir(path))) != "fuzz" ||
				filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(path)))) != "testdata" {
				return err
			}
			vals, err := parseCorpusFile(path)
			if err != nil {
				return fmt.Errorf("reading fuzz corpus %s: %w", path, err)
			}
			target := filepath.Base(filepath.Dir(path))
			per[target] = append(per[target], corpusEntry{target: target, file: filepath.Base(path), values: vals})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var out []corpusEntry
	targets := make([]string, 0, len(per))
	for t := range per {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		es := per[t]
		sort.Slice(es, func(i, j int) bool { return es[i].file < es[j].file })
		out = append(out, es[:min(len(es), max)]...)
	}
	return out, nil
}

// parseCorpusFile decodes the "go test fuzz v1" format: one Go literal per
// line, string("...") and []byte("...") quoted; other types are kept as
// their literal text.
func parseCorpusFile(path string) ([][]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	if !sc.Scan() || sc.Text() != "go test fuzz v1" {
		return nil, fmt.Errorf("not a go test fuzz v1 file")
	}
	var vals [][]byte
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		open := strings.IndexByte(line, '(')
		if open < 0 || !strings.HasSuffix(line, ")") {
			return nil, fmt.Errorf("bad line %.40q", line)
		}
		typ, lit := line[:open], line[open+1:len(line)-1]
		if typ == "string" || typ == "[]byte" {
			s, err := strconv.Unquote(lit)
			if err != nil {
				return nil, fmt.Errorf("unquoting %.40q: %w", lit, err)
			}
			vals = append(vals, []byte(s))
			continue
		}
		vals = append(vals, []byte(lit))
	}
	return vals, sc.Err()
}

// fuzzReplay sends every corpus entry to the running instance where its
// target's input arrives over the wire (image uploads, signature headers,
// Content-Digest, admin requests, parameters) and asserts no 5xx answer;
// finalCases then checks that the instance still serves.
func (a *assessor) fuzzReplay() {
	entries, err := loadCorpora(a.opt.repo, a.opt.fuzzMax)
	if err != nil || len(entries) == 0 {
		a.skip(FUZZ, "fuzz corpus replay", "testdata/fuzz/* under engine/, plugin/, policies/", "no 5xx", fmt.Sprint("no corpus: ", err))
		return
	}
	k, err := a.adm.ownerKey(a.ns("assess-fuzz"), a.ns("assess-fuzz"))
	if err != nil {
		a.skip(FUZZ, "fuzz corpus replay", "admin API setup", "a key", err.Error())
		return
	}
	for _, e := range entries {
		sent, build := a.fuzzRequest(e, k)
		a.add(FUZZ, e.target+"/"+e.file, sent, "no 5xx, an answer within 30 s", func() (string, string) {
			req := build()
			if req == nil {
				return "not replayable over HTTP", Skip
			}
			// A fresh address each: a per-address lockout after many failing
			// entries would answer before the input is parsed.
			r := a.do(a.t.client(a.t.nextSource()), req)
			return fmt.Sprintf("%s after %v", r, r.Took.Round(time.Millisecond)), verdict(r.Err == nil && r.Status < 500 && r.Took < 30*time.Second)
		})
	}
}

// fuzzRequest maps a corpus entry to a request and says what it sends.
func (a *assessor) fuzzRequest(e corpusEntry, k key) (string, func() *http.Request) {
	v := func(i int) []byte {
		if i < len(e.values) {
			return e.values[i]
		}
		return nil
	}
	short := func(b []byte) string { return fmt.Sprintf("%.60q (%d bytes)", b, len(b)) }
	switch e.target {
	case "FuzzDecode", "FuzzJPEGOrientation":
		return "POST /fc/faces/detect with the entry as the uploaded image " + short(v(0)), func() *http.Request {
			return a.multipartReq("faces/detect", [][2]string{{"api_key", k.ID}, {"api_secret", k.Secret}}, v(0))
		}
	case "FuzzParseRequest", "FuzzDictionary":
		sig := v(1)
		if e.target == "FuzzDictionary" {
			sig = v(0)
		}
		return "POST /fc/account/authenticate with Signature-Input " + short(v(0)) + " and Signature " + short(sig), func() *http.Request {
			req := a.form("account/authenticate", nil)
			if !validHeader(v(0)) || !validHeader(sig) {
				return nil
			}
			req.Header.Set("Signature-Input", string(v(0)))
			req.Header.Set("Signature", string(sig))
			return req
		}
	case "FuzzVerifyDigest", "FuzzDigestFastPath":
		return "POST /fc/account/authenticate?api_key=<key>&api_secret=<secret> with Content-Digest " + short(v(0)) + " over body " + short(v(1)), func() *http.Request {
			if !validHeader(v(0)) {
				return nil
			}
			req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/account/authenticate?"+k.creds(nil).Encode()), bytes.NewReader(v(1)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Content-Digest", string(v(0)))
			return req
		}
	case "FuzzAdminRequest":
		method, path, body := string(v(0)), string(v(1)), v(2)
		return fmt.Sprintf("%s /admin%s body %s with an administrator's token and a fresh TOTP code (DELETE: no code)", method, path, short(body)), func() *http.Request {
			if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || !validHeader([]byte(method)) || method == "" {
				return nil
			}
			req, err := http.NewRequest(method, a.t.url("/admin"+path), bytes.NewReader(body))
			if err != nil {
				return nil
			}
			req.Header.Set("Content-Type", "application/json")
			id, code, err := a.adm.auth()
			if err != nil {
				return nil
			}
			req.Header.Set("Authorization", "Bearer "+id.token)
			if method != http.MethodDelete {
				req.Header.Set("X-TOTP-Code", code)
			}
			return req
		}
	}
	return "POST /fc/tags/get with each value of the entry as a parameter", func() *http.Request {
		fields := [][2]string{{"api_key", k.ID}, {"api_secret", k.Secret}}
		for i, val := range e.values {
			fields = append(fields, [2]string{"p" + strconv.Itoa(i), string(val)})
		}
		return a.multipartReq("tags/get", fields)
	}
}

// validHeader reports whether b can be sent as a header value.
func validHeader(b []byte) bool {
	for _, c := range b {
		if c == '\r' || c == '\n' || c == 0 || c >= 0x7f {
			return false
		}
	}
	return true
}
