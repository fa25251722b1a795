package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// finalCases close the run: no answer carried a secret (API3), the
// admin API lists keys without their secrets, and the instance is still
// alive and serving after everything above (the fuzz replay included).
func (a *assessor) finalCases() {
	a.add(API3, "no secret or internal field in any response", "every request of this run (admin creation answers excepted: they show a new secret once)",
		"no api_secret, admin token or TOTP URI/secret in any body or header", func() (string, string) {
			a.mu.Lock()
			n, leaks := a.scanned, append([]string(nil), a.leaks...)
			a.mu.Unlock()
			if len(leaks) > 0 {
				return fmt.Sprintf("%d answers scanned; %s", n, strings.Join(leaks, "; ")), Fail
			}
			return fmt.Sprintf("%d answers scanned, none carries a secret", n), verdict(n > 0)
		})
	a.add(API3, "key listing shows no secret", "GET /admin/keys with the admin token and a fresh TOTP code",
		"HTTP 200; no api_secret, secret hash or sealed secret member", func() (string, string) {
			r, err := a.adm.do(http.MethodGet, "/keys", nil)
			if err != nil {
				return err.Error(), Fail
			}
			for _, m := range []string{`"api_secret":`, `"secret":`, `"secret_hash":`, `"sealed":`, `"sealed_secret":`, `"pepper":`} {
				if bytes.Contains(r.Body, []byte(m)) {
					return r.String() + " has a member " + m, Fail
				}
			}
			return fmt.Sprintf("HTTP %d, %d bytes", r.Status, len(r.Body)), verdict(r.Status == http.StatusOK && a.red.find(string(r.Body)) == "")
		})
	a.skip(API2, "no replay after a crash (issue 11 finding 6)", "a signed request accepted just before kill -9, sent again after the restart",
		"HTTP 401 error 204", "needs kill -9 and a restart of the instance, which a run from outside does not control; tests/e2e/replay_restart_test.go checks it on the real binary")
	a.add(API4, "the instance is alive after the run", "POST /fc/account/authenticate with the initial key (and /proc/<pid> when --pid is given)",
		"HTTP 200 success; the process has not exited", func() (string, string) {
			r := a.call(a.t.client(a.t.nextSource()), "account/authenticate", a.initial, nil)
			obs := r.String()
			alive := true
			if a.opt.pid > 0 {
				st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", a.opt.pid))
				i := bytes.LastIndexByte(st, ')')
				alive = err == nil && i > 0 && i+2 < len(st) && st[i+2] != 'Z'
				obs += fmt.Sprintf("; process %d alive: %v", a.opt.pid, alive)
			}
			return obs, verdict(r.ok() && alive)
		})
}
