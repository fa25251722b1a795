// Package console is facegate's web console: the Caddy HTTP handler
// `http.handlers.facegate_console`, which serves an embedded single-page
// application (plain ES modules and CSS, no build step) and a small JSON
// API for it under its prefix (default /console).
//
// The console is a client of the admin API (package admin), run in the
// same process: every change and every read goes through the admin API's
// authentication, lockout and audit log, exactly as a CLI call would.
//
//	GET  /console/                 the application (index.html, assets/...)
//	POST /console/api/signin       {"token", "code"}: opens an admin session with one TOTP code
//	POST /console/api/signout      closes it
//	GET  /console/api/me           the session in force and the CSRF token
//	*    /console/api/admin/<route> the admin API route /<route>, with the cookie's credentials
//
// Sign-in opens an admin session (POST /sessions) and keeps the admin token
// and the session in one cookie, `__Secure-facegate-console`, sealed with
// AES-GCM under a key that lives only in the process's memory (a restart
// signs every console out), `Secure; HttpOnly; SameSite=Strict;
// Path=/console/`, lasting as long as the session. Script in the page never
// sees either secret.
//
// CSRF: every call that is not GET or HEAD must carry X-CSRF-Token equal to
// the token sealed in the cookie (handed to the page by signin and /me;
// another site can neither read it nor set the header without a CORS
// preflight, which the console never grants), on top of SameSite=Strict.
// Calls whose Origin or Sec-Fetch-Site name another site are refused too.
//
// Every answer carries a strict Content-Security-Policy (scripts and styles
// only from the console's own files, no inline script or style, no
// framing) and is never cached. Like the admin API the console is served
// only over HTTPS.
//
// "Try it" sends the photo from the browser to the public API
// (/fc/faces/detect.json) with an API key the operator types in (a secret
// or signature key's id and secret, or a domain key whose allowed origins
// include the console's): the call goes through facegate_guard like any
// client's, with that key's scopes and limits, and the secret is cleared
// from the form once the call is sent (kept in the view's memory, never in
// the page, for the tags/save, faces/train and faces/recognize calls that
// may follow, and forgotten when the view is left). The console itself
// holds no API key.
//
// The usage page draws GET /usage (package usage) as SVG charts made by
// the console's own modules; the status page shows GET /status.
package console
