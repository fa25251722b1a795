package plugin

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/facegate/facegate/plugin/internal/cli"
)

// serve writes the embedded default Caddyfile to the data dir with the
// settings it starts with written in: the {$FACEGATE_*} placeholders of
// serveSettings are replaced by their values (or defaults). A reload that
// adapts Caddyfile.default in another process (facegate reload --config
// data/Caddyfile.default) then keeps the running server's ports, data dir
// and admin socket, whatever that process's environment. Placeholders
// evaluated at run time ({env.*}) are left alone.
//
// The file starts with a marker line carrying the SHA-256 of the rest. On
// the next start serve rewrites the file only while it is unchanged (the
// digest matches, or it is the raw embedded default that earlier versions
// wrote); an operator's edited file is kept and run as it is, and the
// current default is written beside it as Caddyfile.default.new.

// serveSettings are the placeholders serve resolves when it writes the
// default Caddyfile: where the server listens and keeps its data.
var serveSettings = []string{"FACEGATE_HTTP_PORT", "FACEGATE_HTTPS_PORT", "FACEGATE_DATA_DIR", "FACEGATE_CADDY_ADMIN"}

// placeholderRE matches {$NAME} and {$NAME:default} as Caddy's Caddyfile
// adapter does (a default runs to the closing brace).
var placeholderRE = regexp.MustCompile(`\{\$([A-Za-z0-9_]+)(?::([^}]*))?\}`)

// unsafeSetting finds what a written value must not hold: Caddyfile
// syntax (quotes, braces, comments, whitespace, a trailing backslash) or
// control characters, which would change the config around it.
var unsafeSetting = regexp.MustCompile("[\\s\"'`{}#\\x00-\\x1f\\x7f]|\\\\$")

// defaultMarker starts the first line of a Caddyfile.default written by
// serve; the hex SHA-256 of everything after that line follows it.
const defaultMarker = "# facegate serve default, sha256:"

// resolveDefault returns src with the serveSettings placeholders replaced
// by env's values, or their defaults when unset or empty. A value that is
// not a port number (ports) or holds Caddyfile syntax is an error.
func resolveDefault(src []byte, env cli.Env) ([]byte, error) {
	var bad error
	out := placeholderRE.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := placeholderRE.FindSubmatch(m)
		name, def := string(sub[1]), string(sub[2])
		if !isServeSetting(name) {
			return m
		}
		v := env(name)
		if v == "" {
			v = def
		}
		if err := checkSetting(name, v); err != nil && bad == nil {
			bad = err
		}
		return []byte(v)
	})
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

func isServeSetting(name string) bool {
	for _, s := range serveSettings {
		if s == name {
			return true
		}
	}
	return false
}

// checkSetting refuses values that would not mean what they say once
// written into the Caddyfile.
func checkSetting(name, v string) error {
	if strings.HasSuffix(name, "_PORT") {
		if p, err := strconv.Atoi(v); err != nil || p <= 0 || p >= 65536 {
			return fmt.Errorf("%s=%q is not a port number", name, v)
		}
		return nil
	}
	if v == "" {
		return fmt.Errorf("%s is empty", name)
	}
	if unsafeSetting.MatchString(v) {
		return fmt.Errorf("%s=%q holds whitespace, quotes, braces, # or control characters, which the Caddyfile cannot carry", name, v)
	}
	return nil
}

// withMarker prefixes body with the marker line naming its digest.
func withMarker(body []byte) []byte {
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(defaultMarker)+64+1+len(body))
	out = append(out, defaultMarker...)
	out = append(out, hex.EncodeToString(sum[:])...)
	out = append(out, '\n')
	return append(out, body...)
}

// unchangedDefault reports whether content is a file serve wrote and
// nobody edited: its marker's digest matches the rest, or it is the raw
// embedded default (raw) that serve wrote before the marker existed.
func unchangedDefault(content, raw []byte) bool {
	if bytes.Equal(content, raw) {
		return true
	}
	first, rest, ok := bytes.Cut(content, []byte("\n"))
	if !ok || !bytes.HasPrefix(first, []byte(defaultMarker)) {
		return false
	}
	sum := sha256.Sum256(rest)
	return string(first[len(defaultMarker):]) == hex.EncodeToString(sum[:])
}

// writeDefaultCaddyfile writes body (a resolved default, without marker)
// to path unless the file there was edited. It reports whether an edited
// file was kept; then the new default is written to path+".new".
func writeDefaultCaddyfile(path string, body, raw []byte) (kept bool, err error) {
	want := withMarker(body)
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, fmt.Errorf("reading %s: %w", path, err)
	case bytes.Equal(old, want):
		removeStale(path + ".new")
		return false, nil
	case !unchangedDefault(old, raw):
		return true, cli.WriteFileAtomic(path+".new", want)
	}
	removeStale(path + ".new")
	return false, cli.WriteFileAtomic(path, want)
}

// removeStale removes a .new file left by an earlier start (it may not
// exist; failing to remove it is harmless).
func removeStale(path string) { _ = os.Remove(path) }

// preloadServeEnv sets the serveSettings variables that the --envfile
// files give and the environment does not, before serve resolves the
// default Caddyfile (Caddy's run loads the files only later, and never
// overrides a variable that is set, so both agree). It reads KEY=VALUE
// lines as Caddy does (# comments, an optional export prefix, quotes);
// files it cannot read are left to Caddy, which reports them.
func preloadServeEnv(files []string, lookup func(string) (string, bool), setenv func(string, string) error) error {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, val, ok := strings.Cut(line, "=")
			key = strings.TrimPrefix(key, "export ")
			if !ok || !isServeSetting(key) {
				continue
			}
			if before, _, found := strings.Cut(val, "#"); found {
				val = strings.TrimRight(before, " \t")
			}
			if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
				val = val[1 : len(val)-1]
			}
			if _, set := lookup(key); !set {
				if err := setenv(key, val); err != nil {
					f.Close()
					return fmt.Errorf("setting %s from %s: %w", key, name, err)
				}
			}
		}
		f.Close()
	}
	return nil
}
