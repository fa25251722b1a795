package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// adminID is one administrator and the TOTP steps it has used.
type adminID struct {
	name, token, uri string
	used             map[int64]bool
}

// adminPool calls the admin API (/admin/*) with a bearer token and a
// fresh TOTP code. A code works once and the server accepts the steps
// around now (±1), so one administrator has about three codes at once;
// to make many calls without waiting, the pool creates extra
// administrators (POST /admins) with its last free code, each of which
// brings three more. Tokens, TOTP URIs and codes are registered with the
// redactor and never printed.
type adminPool struct {
	a   *assessor
	c   *http.Client
	ids []*adminID
	n   int
}

// newAdminPool starts a pool with the instance's initial administrator.
func newAdminPool(a *assessor, token, uri string) *adminPool {
	a.red.add(token, "admin token")
	a.red.add(uri, "admin TOTP URI")
	if k, err := otp.NewKeyFromURL(uri); err == nil {
		a.red.add(k.Secret(), "admin TOTP secret")
	}
	return &adminPool{a: a, c: a.t.client(a.t.nextSource()),
		ids: []*adminID{{name: "admin", token: token, uri: uri, used: map[int64]bool{}}}}
}

// totpCode is the code of the TOTP URI for a 30 s step.
func totpCode(uri string, step int64) (string, error) {
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("parsing the TOTP URI: %w", err)
	}
	return totp.GenerateCodeCustom(k.Secret(), time.Unix(step*30, 0), totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
}

// free lists the (administrator, step) pairs usable now: the next step
// and the current one, the previous one only when the step does not end
// within 3 s.
func (p *adminPool) free() (ids []*adminID, steps []int64) {
	now := time.Now().Unix()
	cur := now / 30
	cand := []int64{cur + 1, cur}
	if 30-now%30 > 3 {
		cand = append(cand, cur-1)
	}
	for _, id := range p.ids {
		for _, st := range cand {
			if !id.used[st] {
				ids, steps = append(ids, id), append(steps, st)
			}
		}
	}
	return ids, steps
}

// auth returns an administrator and a fresh code, growing the pool when
// only one code is left; it waits for the next step (at most 31 s) when
// none is.
func (p *adminPool) auth() (*adminID, string, error) {
	for range 8 {
		ids, steps := p.free()
		if len(ids) == 1 {
			if err := p.grow(ids[0], steps[0]); err != nil && !errors.Is(err, errReused) {
				return nil, "", err
			}
			continue
		}
		if len(ids) == 0 {
			n := time.Now()
			time.Sleep(time.Unix((n.Unix()/30+1)*30, 0).Sub(n) + 200*time.Millisecond)
			continue
		}
		ids[0].used[steps[0]] = true
		code, err := totpCode(ids[0].uri, steps[0])
		return ids[0], code, err
	}
	return nil, "", fmt.Errorf("no TOTP code available")
}

// grow spends a last free code on another administrator.
func (p *adminPool) grow(id *adminID, step int64) error {
	id.used[step] = true
	p.n++
	name := fmt.Sprintf("assess%d-%d", time.Now().Unix()%100000, p.n)
	code, err := totpCode(id.uri, step)
	if err != nil {
		return err
	}
	r := p.raw(http.MethodPost, "/admins", id.token, code, map[string]string{"name": name}, true)
	if reused(r) {
		return errReused
	}
	if r.Status != http.StatusCreated || r.str("admin_token") == "" {
		return fmt.Errorf("creating an administrator: %s", r)
	}
	p.a.red.add(r.str("admin_token"), "admin token of "+name)
	p.a.red.add(r.str("admin_totp_uri"), "admin TOTP URI of "+name)
	p.ids = append(p.ids, &adminID{name: name, token: r.str("admin_token"), uri: r.str("admin_totp_uri"), used: map[int64]bool{}})
	return nil
}

// raw calls the admin API with the given token and code (either may be
// ""); creating marks an answer that may carry a new secret.
func (p *adminPool) raw(method, path, token, code string, body any, creating bool) *resp {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.a.t.url("/admin"+path), rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if code != "" {
		req.Header.Set("X-TOTP-Code", code)
	}
	if creating {
		req = expectSecret(req)
	}
	return p.a.do(p.c, req)
}

// errReused is a code the server had seen already: another run against
// the same instance used it within its 90 s of validity.
var errReused = errors.New("TOTP code already used")

// reused reports the admin API's answer to a code seen before (which
// does not count as a failed authentication).
func reused(r *resp) bool {
	return r.Status == http.StatusUnauthorized && r.JSON["error"] == "totp_code_reused"
}

// do calls the admin API with a fresh code; a code another run used
// already is skipped (at most 6 tries).
func (p *adminPool) do(method, path string, body any) (*resp, error) {
	for range 6 {
		id, code, err := p.auth()
		if err != nil {
			return nil, err
		}
		// Creations show a new secret once: their answers are not scanned.
		creating := method == http.MethodPost && (path == "/keys" || path == "/admins" || strings.HasSuffix(path, "/rotate"))
		if r := p.raw(method, path, id.token, code, body, creating); !reused(r) {
			return r, nil
		}
	}
	return nil, errReused
}

// createNamespace registers namespace name for owner.
func (p *adminPool) createNamespace(name, owner string) error {
	r, err := p.do(http.MethodPost, "/namespaces", map[string]string{"name": name, "owner": owner})
	if err != nil {
		return err
	}
	if r.Status != http.StatusCreated {
		return fmt.Errorf("creating namespace %s: %s", name, r)
	}
	return nil
}

// createKey creates an API key from spec and registers its secret.
func (p *adminPool) createKey(spec map[string]any) (key, error) {
	r, err := p.do(http.MethodPost, "/keys", spec)
	if err != nil {
		return key{}, err
	}
	k := key{ID: r.str("api_key"), Secret: r.str("api_secret")}
	if r.Status != http.StatusCreated || k.ID == "" || k.Secret == "" {
		return key{}, fmt.Errorf("creating key for %v: %s", spec["owner"], r)
	}
	p.a.red.add(k.Secret, "api_secret of "+k.ID)
	return k, nil
}

// ownerKey creates a namespace of owner and an unlimited key with every
// scope for the given namespaces (the new one when none is given).
func (p *adminPool) ownerKey(owner, ns string, nss ...string) (key, error) {
	if ns != "" {
		if err := p.createNamespace(ns, owner); err != nil {
			return key{}, err
		}
		nss = append(nss, ns)
	}
	return p.createKey(map[string]any{"owner": owner, "namespaces": nss, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": []string{"secret", "signature"}})
}

// spare creates an administrator outside the pool, for cases that make
// authentication fail: an administrator is locked out after 5 failures,
// and those must not lock out the pool (or the instance's own
// administrator).
func (p *adminPool) spare() (*adminID, error) {
	p.n++
	name := fmt.Sprintf("assess-spare%d-%d", time.Now().Unix()%100000, p.n)
	r, err := p.do(http.MethodPost, "/admins", map[string]string{"name": name})
	if err != nil {
		return nil, err
	}
	if r.Status != http.StatusCreated || r.str("admin_token") == "" {
		return nil, fmt.Errorf("creating an administrator: %s", r)
	}
	p.a.red.add(r.str("admin_token"), "admin token of "+name)
	p.a.red.add(r.str("admin_totp_uri"), "admin TOTP URI of "+name)
	return &adminID{name: name, token: r.str("admin_token"), uri: r.str("admin_totp_uri"), used: map[int64]bool{}}, nil
}
