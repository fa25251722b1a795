package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/facegate/facegate/plugin/keyring"
)

// sessionRequest is the optional body of POST /sessions.
type sessionRequest struct {
	// TTLS asks for a shorter session than the server's session_ttl.
	TTLS int64 `json:"ttl_s"`
}

// SessionOpened is the answer to POST /sessions: the secret is shown only
// here. Later calls send `Authorization: Bearer <admin token>.<session>`.
type SessionOpened struct {
	Session string               `json:"session"`
	Info    keyring.AdminSession `json:"info"`
	TTLS    int64                `json:"ttl_s"`
	Usage   string               `json:"usage"`
}

// openSession opens a session for the administrator of a call made with a
// TOTP code (not from a session: a session cannot extend itself).
func openSession(c *call, w http.ResponseWriter, r *http.Request) {
	if c.session != "" {
		WriteProblem(w, http.StatusForbidden, errSessionNeedsCode, "a session is opened with a TOTP code, not from another session")
		return
	}
	var req sessionRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		c.fail(w, err)
		return
	}
	ttl := c.api.opts.SessionTTL
	if req.TTLS != 0 {
		if req.TTLS < 0 || time.Duration(req.TTLS)*time.Second > ttl {
			c.fail(w, fmt.Errorf("%w: ttl_s must be between 1 and %d", errBody, int64(ttl/time.Second)))
			return
		}
		ttl = time.Duration(req.TTLS) * time.Second
	}
	s, secret, err := c.kr.OpenAdminSession(c.admin, c.remote, ttl)
	if err != nil {
		c.fail(w, err)
		return
	}
	c.note = "session " + s.ID
	writeJSON(w, http.StatusCreated, SessionOpened{Session: secret, Info: s, TTLS: int64(ttl / time.Second),
		Usage: "send Authorization: Bearer <admin token>.<session> instead of X-TOTP-Code until it expires"})
}

func listSessions(c *call, w http.ResponseWriter, _ *http.Request) {
	list, err := c.kr.ListAdminSessions()
	c.answer(w, http.StatusOK, "sessions", list, err)
}

// currentSession answers the session the call was made with (the console
// checks its sign-in with it).
func currentSession(c *call, w http.ResponseWriter, _ *http.Request) {
	if c.session == "" {
		c.fail(w, fmt.Errorf("%w: this call was not made with a session", errParam))
		return
	}
	list, err := c.kr.ListAdminSessions()
	if err != nil {
		c.fail(w, err)
		return
	}
	for _, s := range list {
		if s.ID == c.session {
			writeJSON(w, http.StatusOK, map[string]any{"session": s})
			return
		}
	}
	c.fail(w, fmt.Errorf("admin session: %w", keyring.ErrNotFound))
}

// closeCurrentSession closes the session the call was made with.
func closeCurrentSession(c *call, w http.ResponseWriter, _ *http.Request) {
	if c.session == "" {
		c.fail(w, fmt.Errorf("%w: this call was not made with a session", errParam))
		return
	}
	closeSessionID(c, w, c.session)
}

// closeSession closes any session by id (e.g. one left open elsewhere).
func closeSession(c *call, w http.ResponseWriter, r *http.Request) {
	closeSessionID(c, w, r.PathValue("id"))
}

func closeSessionID(c *call, w http.ResponseWriter, id string) {
	c.answer(w, http.StatusOK, "closed", id, c.kr.CloseAdminSession(id, c.admin, c.remote))
}
