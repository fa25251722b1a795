package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/facegate/facegate/plugin/keyring"
)

// namespaceRequest is the body of POST /namespaces.
type namespaceRequest struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
}

// adminRequest is the body of POST /admins.
type adminRequest struct {
	Name string `json:"name"`
}

// AdminCreated is the answer to POST /admins: the token is shown only here.
type AdminCreated struct {
	Admin        string `json:"admin"`
	AdminToken   string `json:"admin_token"`
	AdminTOTPURI string `json:"admin_totp_uri"`
}

func createNamespace(c *call, w http.ResponseWriter, r *http.Request) {
	var req namespaceRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		c.fail(w, err)
		return
	}
	if err := c.kr.CreateNamespace(req.Name, req.Owner, c.admin); err != nil {
		c.fail(w, err)
		return
	}
	ns, err := c.kr.Namespace(req.Name)
	c.answer(w, http.StatusCreated, "namespace", ns, err)
}

// deleteNamespace erases the namespace's data, then its registry entry.
func deleteNamespace(c *call, w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := c.kr.NamespaceOwner(name); !ok {
		c.fail(w, fmt.Errorf("namespace %q: %w", name, keyring.ErrNotFound))
		return
	}
	eraser, ok := c.api.backend.(NamespaceEraser)
	if !ok {
		c.fail(w, fmt.Errorf("namespace data erasure is %w", errNotAvailable))
		return
	}
	if err := eraser.EraseNamespaceData(name); err != nil {
		c.fail(w, fmt.Errorf("erasing namespace data: %w", err))
		return
	}
	c.answer(w, http.StatusOK, "deleted", name, c.kr.DeleteNamespace(name, c.admin))
}

// listAudit serves GET /audit?since=<RFC 3339 | unix seconds>&limit=<n>.
func listAudit(c *call, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("since"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			c.fail(w, err)
			return
		}
		since = t
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > keyring.MaxAuditLimit {
			c.fail(w, fmt.Errorf("%w: limit must be an integer from 1 to %d", errParam, keyring.MaxAuditLimit))
			return
		}
		limit = n
	}
	entries, err := c.kr.ListAudit(since, limit)
	c.answer(w, http.StatusOK, "entries", entries, err)
}

// parseTime accepts RFC 3339 or unix seconds.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: since must be RFC 3339 or unix seconds", errParam)
	}
	return t, nil
}

func reloadPolicies(c *call, w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		c.fail(w, err)
		return
	}
	if err := c.api.backend.ReloadPolicies(); err != nil {
		if errors.Is(err, errNotAvailable) {
			c.fail(w, err)
			return
		}
		// Compile errors are the operator's own policy text: show them.
		c.note = "reload failed"
		WriteProblem(w, http.StatusUnprocessableEntity, "policy_reload_failed",
			"the last good policies keep serving: "+truncateText(err.Error(), 2000))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reloaded": true})
}

func createAdmin(c *call, w http.ResponseWriter, r *http.Request) {
	var req adminRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		c.fail(w, err)
		return
	}
	token, uri, _, err := c.kr.CreateAdmin(req.Name, c.admin)
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, AdminCreated{Admin: req.Name, AdminToken: token, AdminTOTPURI: uri})
}

func listAdmins(c *call, w http.ResponseWriter, r *http.Request) {
	list, err := c.kr.ListAdmins()
	c.answer(w, http.StatusOK, "admins", list, err)
}

func deleteAdmin(c *call, w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	c.answer(w, http.StatusOK, "deleted", name, c.kr.DeleteAdmin(name, c.admin))
}

// reenrollAdmin replaces an administrator's TOTP seed; the QR code is then
// available once at GET /admins/{name}/totp.png.
func reenrollAdmin(c *call, w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		c.fail(w, err)
		return
	}
	name := r.PathValue("name")
	uri, _, err := c.kr.ReenrollTOTP(name, c.admin)
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"admin": name, "admin_totp_uri": uri})
}

// adminQR serves the enrollment QR code, once.
func adminQR(c *call, w http.ResponseWriter, r *http.Request) {
	png, err := c.kr.TOTPQR(r.PathValue("name"), c.admin)
	if err != nil {
		c.fail(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
