package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/facegate/facegate/plugin/internal/cli"
)

// sessionMargin is how long before its expiry a cached session is no
// longer used (a call must not start with a session that ends on its way).
const sessionMargin = 15 * time.Second

// DefaultSessionDir is where the CLI caches admin sessions:
// $XDG_RUNTIME_DIR/facegate (a per-user tmpfs, emptied at logout) when it
// is set, else the data dir.
func DefaultSessionDir(env cli.Env) string {
	if d := env("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "facegate")
	}
	return env.DataDir()
}

// cachedSession is the content of a session cache file (0600).
type cachedSession struct {
	Server    string `json:"server"`
	ID        string `json:"id"`
	Session   string `json:"session"`
	ExpiresAt int64  `json:"expires_at"`
}

// sessionCache is one file per server and admin token, so that several
// servers or administrators do not share a session.
type sessionCache struct {
	path, server string
}

func newSessionCache(dir, server, token string) *sessionCache {
	h := sha256.Sum256([]byte(server + "\n" + token))
	return &sessionCache{path: filepath.Join(dir, "admin-session-"+hex.EncodeToString(h[:8])+".json"), server: server}
}

// load returns the cached session if it is still usable at now.
func (s *sessionCache) load(now time.Time) (cachedSession, bool) {
	var cs cachedSession
	fi, err := os.Lstat(s.path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return cs, false // missing, or readable by others: not trusted
	}
	raw, err := os.ReadFile(s.path)
	if err != nil || json.Unmarshal(raw, &cs) != nil || cs.Server != s.server || cs.Session == "" {
		return cachedSession{}, false
	}
	if time.Unix(cs.ExpiresAt, 0).Sub(now) < sessionMargin {
		return cachedSession{}, false
	}
	return cs, true
}

// save writes cs atomically with mode 0600 (the directory 0700).
func (s *sessionCache) save(cs cachedSession) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating session cache dir: %w", err)
	}
	raw, _ := json.Marshal(cs)
	return cli.WriteFileAtomic(s.path, raw)
}

// drop forgets the cached session.
func (s *sessionCache) drop() {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = os.Truncate(s.path, 0) // at least make it unusable
	}
}

// doWithSession makes the call with the cached session, or opens one with
// a TOTP code first. ok is false when the server has no admin sessions
// (the caller then sends a code per call). A cached session the server no
// longer accepts is replaced once.
func (c *Client) doWithSession(method, path string, query url.Values, payload []byte) (Answer, bool, error) {
	cs, cached := c.cache.load(c.now())
	if cached {
		ans, err := c.send(method, path, query, payload, c.token+"."+cs.Session, "")
		if err != nil || ans.Status != http.StatusUnauthorized {
			return ans, true, err
		}
		c.cache.drop() // expired, closed or unknown to the server
	}
	cs, ok, err := c.openSession()
	if err != nil || !ok {
		return Answer{}, ok, err
	}
	ans, err := c.send(method, path, query, payload, c.token+"."+cs.Session, "")
	return ans, true, err
}

// openSession opens an admin session with a TOTP code and caches it.
func (c *Client) openSession() (cachedSession, bool, error) {
	ans, err := c.doWithCode(http.MethodPost, "/sessions", nil, nil)
	if err != nil {
		return cachedSession{}, true, err
	}
	switch {
	case ans.Status == http.StatusNotFound || ans.Status == http.StatusMethodNotAllowed:
		return cachedSession{}, false, nil
	case ans.Status != http.StatusCreated:
		return cachedSession{}, true, failure(c.notify, ans)
	}
	var opened SessionOpened
	if err := json.Unmarshal(ans.Body, &opened); err != nil || opened.Session == "" {
		return cachedSession{}, true, errors.New("opening admin session: the server's answer holds no session")
	}
	cs := cachedSession{Server: c.cache.server, ID: opened.Info.ID, Session: opened.Session, ExpiresAt: opened.Info.ExpiresAt}
	if err := c.cache.save(cs); err != nil {
		fmt.Fprintf(c.notify, "warning: %v; the next command needs a new TOTP code\n", err)
	} else {
		fmt.Fprintf(c.notify, "admin session open until %s ('facegate admin logout' closes it)\n",
			time.Unix(cs.ExpiresAt, 0).Format(time.TimeOnly))
	}
	return cs, true, nil
}

// Logout closes the cached admin session on the server and forgets it. It
// reports whether there was one.
func (c *Client) Logout() (bool, error) {
	if c.cache == nil {
		return false, nil
	}
	cs, ok := c.cache.load(c.now())
	c.cache.drop()
	if !ok {
		return false, nil
	}
	ans, err := c.send(http.MethodDelete, "/sessions/current", nil, nil, c.token+"."+cs.Session, "")
	if err != nil {
		return true, err
	}
	if ans.Status != http.StatusOK && ans.problemCode() != errSessionExpired {
		return true, failure(c.notify, ans)
	}
	return true, nil
}

// failure reports an answer that is not the expected success: the body on
// stderr and an error with the status.
func failure(stderr io.Writer, ans Answer) error {
	_, _ = stderr.Write(ans.Body)
	return fmt.Errorf("server answered %d %s", ans.Status, http.StatusText(ans.Status))
}
