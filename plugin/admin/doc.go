// Package admin is facegate's administration surface: the Caddy HTTP
// handler `http.handlers.facegate_admin` (a JSON API for the key
// lifecycle, the namespace registry, administrators and the audit log) and
// the `facegate key ...`, `facegate namespace ...` and `facegate admin ...`
// CLI commands, which talk to that API on the running server (the store is
// locked by the server process).
//
// Every API call needs the administrator's bearer token AND either a fresh
// TOTP code (header X-TOTP-Code, checked by keyring.VerifyAdmin: a code is
// usable once) or an admin session opened with one (POST /sessions; then
// `Authorization: Bearer <admin token>.<session>`, checked by
// keyring.VerifyAdminSession). Repeated failures lock the administrator or
// the remote address out (429 with Retry-After), also across restarts. The
// API is only served over HTTPS.
// Errors are RFC 9457 application/problem+json with a stable `error`
// member (admin_auth_failed, totp_code_reused, locked_out, bad_request,
// not_found, conflict, gone, admin_session_expired, ...). Bodies are JSON, at most 64 KiB, decoded
// strictly (unknown fields are refused). Every call is written to the
// audit log with the administrator's name and remote address; secrets
// (API secrets, admin tokens) are returned once, in the response that
// creates them, and never logged.
//
// Routes, relative to the prefix (default /admin):
//
//	POST   /keys                      create (body: keyring.CreateParams) → key + api_secret, once
//	GET    /keys[?owner=]             list (every key)
//	GET    /keys?limit=n[&after=id]   one page {"keys", "next"}; next is the after of the next page
//	GET    /keys/{id}                 show
//	PUT    /keys/{id}                 replace settings (body: keyring.CreateParams)
//	POST   /keys/{id}/rotate          new secret; body {"grace_s": n} keeps the old one n s
//	POST   /keys/{id}/suspend|resume|revoke
//	DELETE /keys/{id}[?erase=true]    delete (erase: the owner's data too)
//	POST   /namespaces                {"name", "owner"}
//	GET    /namespaces[?owner=]       with template and uid counts
//	DELETE /namespaces/{name}         erases the data, then the registry entry
//	GET    /audit[?since=&limit=]     since: RFC 3339 or unix s; default: the latest entries
//	GET    /policies                  active version, when loaded, last reload and its error
//	POST   /policies/reload
//	GET    /usage[?key=&route=&since=&until=&step=]  per-minute usage of the last 24 h (package usage)
//	GET    /status                    template index (size, last rebuild), store size, policies
//	POST   /admins                    {"name"} → admin_token + admin_totp_uri, once
//	GET    /admins
//	DELETE /admins/{name}
//	POST   /admins/{name}/totp        re-enroll → admin_totp_uri
//	GET    /admins/{name}/totp.png    the enrollment QR code, once per enrollment
//	POST   /sessions                  with a TOTP code; body {"ttl_s": n} optional → session, once
//	GET    /sessions                  the open sessions (never their secrets)
//	GET    /sessions/current          the session the call was made with
//	DELETE /sessions/current          closes the session the call was made with
//	DELETE /sessions/{id}             closes any session
package admin
