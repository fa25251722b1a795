package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/facegate/facegate/plugin/keyring"
)

// routes registers every admin route on the API's mux. Paths are relative
// to the prefix.
func (a *API) routes() {
	m := a.mux
	m.HandleFunc("POST /keys", wrap(createKey))
	m.HandleFunc("GET /keys", wrap(listKeys))
	m.HandleFunc("GET /keys/{id}", wrap(showKey))
	m.HandleFunc("PUT /keys/{id}", wrap(updateKey))
	m.HandleFunc("DELETE /keys/{id}", wrap(deleteKey))
	m.HandleFunc("POST /keys/{id}/rotate", wrap(rotateKey))
	m.HandleFunc("POST /keys/{id}/suspend", wrap(keyTransition((*keyring.Keyring).Suspend)))
	m.HandleFunc("POST /keys/{id}/resume", wrap(keyTransition((*keyring.Keyring).Resume)))
	m.HandleFunc("POST /keys/{id}/revoke", wrap(keyTransition((*keyring.Keyring).Revoke)))

	m.HandleFunc("POST /namespaces", wrap(createNamespace))
	m.HandleFunc("GET /namespaces", wrap(listNamespaces))
	m.HandleFunc("DELETE /namespaces/{name}", wrap(deleteNamespace))

	m.HandleFunc("GET /audit", wrap(listAudit))
	m.HandleFunc("GET /policies", wrap(policyStatus))
	m.HandleFunc("POST /policies/reload", wrap(reloadPolicies))
	m.HandleFunc("GET /usage", wrap(getUsage))
	m.HandleFunc("GET /status", wrap(serverStatus))

	m.HandleFunc("POST /admins", wrap(createAdmin))
	m.HandleFunc("GET /admins", wrap(listAdmins))
	m.HandleFunc("DELETE /admins/{name}", wrap(deleteAdmin))
	m.HandleFunc("POST /admins/{name}/totp", wrap(reenrollAdmin))
	m.HandleFunc("GET /admins/{name}/totp.png", wrap(adminQR))

	m.HandleFunc("POST /sessions", wrap(openSession))
	m.HandleFunc("GET /sessions", wrap(listSessions))
	m.HandleFunc("GET /sessions/current", wrap(currentSession))
	m.HandleFunc("DELETE /sessions/current", wrap(closeCurrentSession))
	m.HandleFunc("DELETE /sessions/{id}", wrap(closeSession))
}

// KeyCreated is the answer to POST /keys: the secret is shown only here.
type KeyCreated struct {
	Key       keyring.Key `json:"key"`
	APIKey    string      `json:"api_key"`
	APISecret string      `json:"api_secret"`
}

// KeyRotated is the answer to POST /keys/{id}/rotate.
type KeyRotated struct {
	APIKey     string `json:"api_key"`
	APISecret  string `json:"api_secret"`
	GraceS     int64  `json:"grace_s"`
	PrevValidS int64  `json:"previous_valid_until,omitempty"` // unix s
}

// rotateRequest is the body of POST /keys/{id}/rotate (optional).
type rotateRequest struct {
	GraceS int64 `json:"grace_s"`
}

func createKey(c *call, w http.ResponseWriter, r *http.Request) {
	var p keyring.CreateParams
	if err := decodeBody(w, r, &p, false); err != nil {
		c.fail(w, err)
		return
	}
	key, secret, err := c.kr.Create(p, c.admin)
	if err != nil {
		c.fail(w, err)
		return
	}
	c.note = "created " + key.ID
	writeJSON(w, http.StatusCreated, KeyCreated{Key: key, APIKey: key.ID, APISecret: secret})
}

func showKey(c *call, w http.ResponseWriter, r *http.Request) {
	key, err := c.kr.Get(r.PathValue("id"))
	c.answer(w, http.StatusOK, "key", key, err)
}

func updateKey(c *call, w http.ResponseWriter, r *http.Request) {
	var p keyring.CreateParams
	if err := decodeBody(w, r, &p, false); err != nil {
		c.fail(w, err)
		return
	}
	id := r.PathValue("id")
	if err := c.kr.Update(id, p, c.admin); err != nil {
		c.fail(w, err)
		return
	}
	showKey(c, w, r)
}

func rotateKey(c *call, w http.ResponseWriter, r *http.Request) {
	var req rotateRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		c.fail(w, err)
		return
	}
	maxS := int64(keyring.MaxRotationGrace / time.Second)
	if req.GraceS < 0 || req.GraceS > maxS {
		c.fail(w, fmt.Errorf("%w: grace_s must be between 0 and %d", errBody, maxS))
		return
	}
	id := r.PathValue("id")
	secret, err := c.kr.Rotate(id, time.Duration(req.GraceS)*time.Second, c.admin)
	if err != nil {
		c.fail(w, err)
		return
	}
	out := KeyRotated{APIKey: id, APISecret: secret, GraceS: req.GraceS}
	if req.GraceS > 0 {
		if key, err := c.kr.Get(id); err == nil {
			out.PrevValidS = key.RotatedAt + req.GraceS
		}
	}
	c.note = "grace_s=" + strconv.FormatInt(req.GraceS, 10)
	writeJSON(w, http.StatusOK, out)
}

// keyTransition serves suspend, resume and revoke.
func keyTransition(op func(k *keyring.Keyring, id, actor string) error) handlerFunc {
	return func(c *call, w http.ResponseWriter, r *http.Request) {
		if err := decodeBody(w, r, &struct{}{}, true); err != nil {
			c.fail(w, err)
			return
		}
		if err := op(c.kr, r.PathValue("id"), c.admin); err != nil {
			c.fail(w, err)
			return
		}
		showKey(c, w, r)
	}
}

// deleteKey removes a key; with ?erase=true the key owner's data is erased
// first (by the app, which may remove the key itself).
func deleteKey(c *call, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	erase, err := boolParam(r, "erase")
	if err != nil {
		c.fail(w, err)
		return
	}
	if _, err := c.kr.Get(id); err != nil {
		c.fail(w, err)
		return
	}
	if erase {
		if err := c.api.backend.EraseKeyData(id); err != nil {
			c.fail(w, fmt.Errorf("erasing the key's data: %w", err))
			return
		}
		c.note = "data erased"
	}
	// The app's erasure may already have removed the key itself.
	if _, err := c.kr.Get(id); err == nil || !errors.Is(err, keyring.ErrNotFound) {
		if err := c.kr.Delete(id, c.admin); err != nil {
			c.fail(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id, "erased": erase})
}

// boolParam parses an optional boolean query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%w: %s must be true or false", errParam, name)
	}
	return b, nil
}
